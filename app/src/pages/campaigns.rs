//! Campaigns: the leaderboard (Module 2) for the global filters: every column of the spec, sorted
//! by any of them, paged, with each row's actions (pause or resume, adjust the budget, download,
//! incrementality) and the table as CSV. It refreshes when the live feed says the figures moved.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{ChangeCampaign, load_leaderboard};
use crate::components::campaign_actions::{BudgetForm, ChangeOutcome, StatusForm};
use crate::components::filter_bar::{DashboardHead, use_filters, use_query_pairs};
use crate::components::live::use_live_feed;
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::{FILTER_KEYS, QueryPairs};
use crate::format;
use crate::format::or_missing;
use crate::wire::{LeaderboardRow, TablePage};

/// Rows per page in the dashboard (the API's default is 50).
const PER_PAGE: &str = "25";

/// The sortable columns: (header, sort parameter, numeric).
const COLUMNS: &[(&str, Option<&str>, bool)] = &[
    ("Rank", None, true),
    ("Campaign", Some("name"), false),
    ("Type", Some("type"), false),
    ("Status", Some("status"), false),
    ("ROAS", Some("roas"), true),
    ("CTR", Some("ctr"), true),
    ("Conversions", Some("conversions"), true),
    ("Revenue", Some("revenue"), true),
    ("CAC", Some("cac"), true),
    ("Incrementality", Some("incrementality"), true),
    ("Budget used", Some("spend"), true),
];

#[component]
pub fn Campaigns() -> impl IntoView {
    let pairs = use_query_pairs();
    let feed = use_live_feed(use_filters());
    let change = ServerAction::<ChangeCampaign>::new();
    // The table's query: the page's, with the dashboard's page size unless the link sets one.
    let query = Memo::new(move |_| pairs.with(|p| if p.get("per_page").is_some() { p.clone() } else { p.with_param("per_page", Some(PER_PAGE)) }));
    let table = Resource::new(
        move || (query.with(QueryPairs::encode), feed.leaderboard_version.get(), change.version().get()),
        |(query, _, _)| load_leaderboard(query),
    );
    let export = move |path: &'static str| move || pairs.with(|p| p.with_param("page", None).with_param("per_page", None).href(path));
    view! {
        <DashboardHead title="Campaigns" feed/>
        <div class="grid">
            <Panel title="Campaign leaderboard" subtitle="Every campaign the filters allow, over the period (default: the last 7 days)" span=12>
                <div class="toolbar">
                    {crate::session::signed_in().filter(|me| me.can(crate::access::Capability::CreateCampaigns)).map(|_| view! {
                        <A href="/campaigns/new" attr:class="button">"New campaign"</A>
                    })}
                    <a class="button button--quiet" href=export("/api/v1/exports/campaigns.csv") download="">"Download CSV"</a>
                    <a class="button button--quiet" href=export("/api/v1/exports/campaigns.xlsx") download="">"Download Excel"</a>
                </div>
                <ChangeOutcome change/>
                <Transition fallback=|| view! { <Skeleton lines=8/> }>
                    {move || Suspend::new(async move {
                        match table.await {
                            Ok(page) => view! { <Leaderboard page pairs=pairs.get_untracked() change/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </Panel>
        </div>
    }
}

#[component]
fn Leaderboard(page: TablePage<LeaderboardRow>, pairs: QueryPairs, change: ServerAction<ChangeCampaign>) -> impl IntoView {
    if page.rows.is_empty() {
        let detail = if page.total == 0 {
            "No campaign matches these filters. Clear a filter above to see more."
        } else {
            "This page is past the last one."
        };
        return view! { <EmptyState title="No campaigns to show" detail=detail/> }.into_any();
    }
    let sort = pairs.get("sort").unwrap_or("roas").to_owned();
    let descending = pairs.get("order") != Some("asc");
    let header = |(label, key, numeric): (&'static str, Option<&'static str>, bool)| {
        let class = if numeric { "num" } else { "" };
        match key {
            None => view! { <th scope="col" class=class>{label}</th> }.into_any(),
            Some(key) => {
                let active = key == sort;
                // A second click on the sorted column flips the order; a new column starts descending.
                let order = if active && descending { "asc" } else { "desc" };
                let href = pairs.with_param("page", None).with_param("sort", Some(key)).with_param("order", Some(order)).href("/campaigns");
                let aria_sort = if active { if descending { "descending" } else { "ascending" } } else { "none" };
                let indicator = if active { if descending { " ↓" } else { " ↑" } } else { "" };
                view! {
                    <th scope="col" class=class aria-sort=aria_sort>
                        <A href=href attr:class="sort-link">{label}<span aria-hidden="true">{indicator}</span></A>
                    </th>
                }
                .into_any()
            }
        }
    };
    let pages = page.pages();
    let at = page.page;
    let rows = page.rows.clone();
    let row_pairs = pairs.clone();
    let link_to = |n: usize| pairs.with_param("page", Some(&n.to_string())).href("/campaigns");
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Campaign leaderboard">
                <thead>
                    <tr>
                        {COLUMNS.iter().copied().map(header).collect_view()}
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    // Keyed by the campaign and its figures: a refetch that reorders rows never leaves
                    // an open form on a row that now shows another campaign.
                    <For
                        each=move || rows.clone()
                        key=|row| (row.campaign_id, format!("{row:?}"))
                        let(row)
                    >
                        <LeaderboardLine row pairs=row_pairs.clone() change/>
                    </For>
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span>{format!("Page {at} of {pages} · {} campaigns · {} to {} UTC", format::count(page.total as i64), page.from.format("%d %b %H:%M"), page.to.format("%d %b %H:%M"))}</span>
            {(at > 1).then(|| view! { <A href=link_to(at - 1) attr:class="button button--quiet">"Previous"</A> })}
            {(at < pages).then(|| view! { <A href=link_to(at + 1) attr:class="button button--quiet">"Next"</A> })}
        </nav>
    }
    .into_any()
}


/// One row; its view type is erased (`into_any`), as the nested menu makes it deep enough to
/// overflow the compiler's query depth in some builds.
#[component]
fn LeaderboardLine(row: LeaderboardRow, pairs: QueryPairs, change: ServerAction<ChangeCampaign>) -> AnyView {
    let p = &row.performance;
    let why_missing = "No spend, impressions or conversions in the window to compute it from";
    let id = row.campaign_id.to_string();
    let name = row.name.clone();
    let incrementality_href = pairs.only(FILTER_KEYS).with_param("campaign", Some(&id)).href("/insights");
    let csv_href = pairs.with_param("page", None).with_param("per_page", None).with_param("campaign", Some(&id)).href("/api/v1/exports/campaigns.csv");
    let detail_href = pairs.only(FILTER_KEYS).href(&format!("/campaigns/{id}"));
    view! {
        <tr>
            <td class="num">{row.rank}</td>
            <th scope="row" class="table__name"><A href=detail_href.clone()>{row.name.clone()}</A></th>
            <td>{row.campaign_type.as_str()}</td>
            <td><span class=format!("pill pill--{}", row.status.as_str())>{row.status.as_str()}</span></td>
            <td class="num" title=p.roas.is_none().then_some(why_missing)>{or_missing(p.roas, format::ratio)}</td>
            <td class="num" title=p.ctr.is_none().then_some(why_missing)>{or_missing(p.ctr, format::percent)}</td>
            <td class="num">{format::count(p.conversions as i64)}</td>
            <td class="num">{format::money(p.revenue)}</td>
            <td class="num" title=p.cac.is_none().then_some(why_missing)>{or_missing(p.cac, format::money)}</td>
            <td class="num" title=p.incrementality.is_none().then_some("No holdout comparison in the window")>{or_missing(p.incrementality, format::percent)}</td>
            <td class="num">{format!("{} / {}", format::money_compact(row.budget_spent), format::money_compact(row.budget))}</td>
            <td>
                <details class="menu">
                    <summary class="menu__button" aria-label=format!("Actions for {name}")>"⋮"</summary>
                    <div class="menu__items">
                        <a href=detail_href.clone()>"Open campaign"</a>
                        <a href=incrementality_href>"View incrementality data"</a>
                        <a href=csv_href download="">"Download report (CSV)"</a>
                        <StatusForm campaign_id=row.campaign_id status=row.status change/>
                        <BudgetForm campaign_id=row.campaign_id budget=row.budget change/>
                    </div>
                </details>
            </td>
        </tr>
    }
    .into_any()
}
