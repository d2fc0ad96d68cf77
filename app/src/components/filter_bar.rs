//! The global filter bar: period presets (7d, 30d, 90d, YTD) and custom dates, segment, campaign
//! type and status, and a chip for each active filter that clears it with one click. Every
//! control is a link or a GET form, so the URL always holds the view and the bar works before
//! the page has hydrated; once it has, the router navigates without a reload.

use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_location, use_query_map};

use analytics::{CampaignStatus, CampaignType, SegmentType};

use crate::filters::{FILTER_KEYS, Period, QueryPairs, Range, TABLE_KEYS, VIEW_KEYS};

/// The page's current query pairs: filters first, then the table's and the comparison's own.
pub fn use_query_pairs() -> Memo<QueryPairs> {
    let query = use_query_map();
    Memo::new(move |_| {
        let keys: Vec<&str> = FILTER_KEYS.iter().chain(TABLE_KEYS).chain(VIEW_KEYS).copied().collect();
        query.with(|params| QueryPairs::from_params(params, &keys))
    })
}

/// The page's global filters alone (no sorting or paging): what the metrics and the live feed take.
pub fn use_filters() -> Memo<QueryPairs> {
    let pairs = use_query_pairs();
    Memo::new(move |_| pairs.with(|p| p.only(FILTER_KEYS)))
}

/// The head of every dashboard page: its title, the live indicator, then the filter bar.
#[component]
pub fn DashboardHead(title: &'static str, feed: crate::components::live::LiveFeed) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title/>
        <div class="page-head">
            <h1 class="page-title">{title}</h1>
            <crate::components::live::LiveIndicator feed/>
        </div>
        <FilterBar/>
    }
}

/// Hidden inputs that carry the current pairs through a GET form, except the keys the form sets
/// itself and the page number (new filters start at page one).
pub fn carried(pairs: &QueryPairs, set_by_form: &[&str]) -> impl IntoView + use<> {
    pairs
        .0
        .iter()
        .filter(|(k, _)| !set_by_form.contains(&k.as_str()) && k != "page")
        .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone()/> })
        .collect_view()
}

#[component]
pub fn FilterBar() -> impl IntoView {
    let pairs = use_query_pairs();
    let location = use_location();
    let path = move || location.pathname.get();
    // A link to this page with one key changed (and back to page one).
    let link = move |key: &'static str, value: Option<String>| {
        pairs.with(|p| p.with_param("page", None).with_param(key, value.as_deref()).href(&path()))
    };

    let periods = move || {
        let current = pairs.with(QueryPairs::period);
        let mut items = vec![(
            "Default".to_owned(),
            "Each metric over its own window; tables over the last 7 days".to_owned(),
            pairs.with(|p| p.with_param("page", None).with_param("range", None).with_param("from", None).with_param("to", None).href(&path())),
            current == Period::Default,
        )];
        for range in Range::PRESETS {
            items.push((
                range.short(),
                range.describe(),
                pairs.with(|p| p.with_param("page", None).with_param("from", None).with_param("to", None).with_param("range", Some(&range.to_string())).href(&path())),
                current == Period::Range(range),
            ));
        }
        items
            .into_iter()
            .map(|(label, title, href, active)| {
                view! {
                    <a class="segmented__item" href=href title=title aria-current=active.then_some("true")>
                        {label}
                    </a>
                }
            })
            .collect_view()
    };

    let chips = move || {
        let p = pairs.get();
        let mut chips: Vec<(String, String)> = Vec::new();
        match p.period() {
            Period::Default => {}
            Period::Range(range) => chips.push((format!("Period: {}", range.describe()), link("range", None))),
            custom @ Period::Custom { .. } => chips.push((
                format!("Period: {}", custom.describe()),
                p.with_param("page", None).with_param("from", None).with_param("to", None).href(&path()),
            )),
        }
        for (key, label) in [("segment", "Segment"), ("type", "Type"), ("status", "Status"), ("campaign", "Campaign"), ("region", "Region"), ("platform", "Platform"), ("creative", "Creative")] {
            if let Some(value) = p.get(key) {
                chips.push((format!("{label}: {value}"), link(key, None)));
            }
        }
        if let Some(limit) = p.get("roas_below") {
            chips.push((format!("ROAS below {limit}×"), link("roas_below", None)));
        }
        chips
            .into_iter()
            .map(|(label, clear)| {
                let name = format!("Clear {label}");
                view! {
                    <li class="chip">
                        <span>{label}</span>
                        <A href=clear attr:class="chip__clear" attr:aria-label=name>"×"</A>
                    </li>
                }
            })
            .collect_view()
    };

    let select = move |name: &'static str, label: &'static str, all: &'static str, options: Vec<&'static str>| {
        let chosen = pairs.with(|p| p.get(name).map(str::to_owned));
        view! {
            <label class="field">
                <span class="field__label">{label}</span>
                <select name=name>
                    <option value="" selected=chosen.is_none()>{all}</option>
                    {options
                        .into_iter()
                        .map(|o| view! { <option value=o selected=chosen.as_deref() == Some(o)>{o}</option> })
                        .collect_view()}
                </select>
            </label>
        }
    };

    view! {
        <div class="filter-bar" role="search" aria-label="Filters">
            <div class="filter-bar__row">
                <nav class="segmented" aria-label="Period">{periods}</nav>
                {move || {
                    let p = pairs.get();
                    let by_selects = carried(&p, &["segment", "type", "status"]);
                    let by_dates = carried(&p, &["range", "from", "to"]);
                    let (from, to) = (p.get("from").map(str::to_owned), p.get("to").map(str::to_owned));
                    view! {
                        <Form method="GET" action=path() attr:class="filter-bar__form">
                            {by_selects}
                            {select("segment", "Segment", "All segments", SegmentType::ALL.iter().map(|s| s.as_str()).collect())}
                            {select("type", "Campaign type", "All types", CampaignType::ALL.iter().map(|s| s.as_str()).collect())}
                            {select("status", "Status", "All statuses", CampaignStatus::ALL.iter().map(|s| s.as_str()).collect())}
                            <button type="submit" class="button button--quiet">"Apply"</button>
                        </Form>
                        <Form method="GET" action=path() attr:class="filter-bar__form">
                            {by_dates}
                            <label class="field">
                                <span class="field__label">"From (UTC)"</span>
                                <input type="date" name="from" value=from/>
                            </label>
                            <label class="field">
                                <span class="field__label">"To (exclusive)"</span>
                                <input type="date" name="to" value=to/>
                            </label>
                            <button type="submit" class="button button--quiet">"Set dates"</button>
                        </Form>
                    }
                }}
            </div>
            <ul class="chips" aria-label="Active filters">{chips}</ul>
        </div>
    }
}
