//! Experiments (issue #8): the list (`/experiments`), a new creative test from Module 5's
//! "A/B test (clone + modify)" (`/experiments/new?campaign=…&creative=…`), and one test with its
//! verdict above the numbers, per-arm results, the planner, its decisions and its history
//! (`/experiments/:id`). The statistics are the server's (`docs/experiments.md`); the page only
//! shows them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use analytics::experiment::analysis::{Comparison, OutcomeKind, OutcomeResult, Plan, Results, VerdictState};
use analytics::experiment::{Metric, Outcome};

use crate::api::{CreateExperiment, DecideExperiment, ExtendExperiment, load_campaign, load_experiment, load_experiment_plan, load_experiments, load_leaderboard};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::experiment_form::form_field;
use crate::format;
use crate::wire::{CreateExperimentOutcome, ExperimentAction, ExperimentStatus, ExperimentSummary, ExperimentView, FieldError};

fn status_pill(status: ExperimentStatus) -> impl IntoView {
    view! { <span class=format!("pill pill--{}", status.as_str())>{status.as_str()}</span> }
}

fn date(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// `/experiments`: every test, newest first, and the upload of a test run elsewhere.
#[component]
pub fn Experiments() -> impl IntoView {
    let list = Resource::new(|| (), |_| load_experiments());
    let query = use_query_map();
    // An upload that failed comes back here with its reason (the form posts without scripts).
    let import_error = move || query.with(|q| q.get("import_error"));
    view! {
        <Title text="Experiments"/>
        <div class="page-head">
            <h1 class="page-title">"Experiments"</h1>
            <p class="page-lede">"A/B tests of creatives and campaigns, and tests run elsewhere. Start a creative test from a campaign's creative breakdown (⋮ → A/B test), or "<A href="/experiments/new?kind=campaign">"test whole campaigns against each other"</A>"."</p>
        </div>
        {move || import_error().map(|reason| view! { <p class="notice notice--error" role="alert">{format!("The file was not imported: {reason}")}</p> })}
        <div class="grid">
            <Panel title="Tests" subtitle="Newest first; running tests with their verdict as of now" span=12>
                <Transition fallback=|| view! { <Skeleton lines=5/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(rows) if rows.is_empty() => view! { <EmptyState title="No experiments yet" detail="Open a campaign, then choose A/B test on one of its creatives."/> }.into_any(),
                            Ok(rows) => view! { <ExperimentTable rows/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </Panel>
            <Panel title="Analyse a test run elsewhere" subtitle="A per-user CSV: one row per user, a column naming the arm, outcome columns" span=12>
                <form class="form" method="post" action="/api/v1/experiments/import" enctype="multipart/form-data">
                    <label class="field">
                        <span class="field__label">"File (CSV with a header row)"</span>
                        <input type="file" name="file" accept=".csv,text/csv" required=true/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Name"</span>
                        <input type="text" name="name" maxlength="200" placeholder="Email subject test (ESP export)"/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Arm column"</span>
                        <input type="text" name="arm_column" value="arm"/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Control arm's label"</span>
                        <input type="text" name="control" required=true/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Outcomes, comma-separated, the primary first"</span>
                        <input type="text" name="outcomes" required=true placeholder="clicked:binary, revenue:numeric:pre_revenue"/>
                    </label>
                    <p class="field__hint">"Each outcome is column:binary (0 or 1) or column:numeric, then optionally :covariate_column (its pre-period value, for CUPED) and :lower when lower is better."</p>
                    <label class="field">
                        <span class="field__label">"Planned split, label:percent, comma-separated (optional)"</span>
                        <input type="text" name="splits" placeholder="control:50, subject_b:50"/>
                    </label>
                    <button type="submit" class="button">"Import and analyse"</button>
                </form>
            </Panel>
        </div>
    }
}

#[component]
fn ExperimentTable(rows: Vec<ExperimentSummary>) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Experiments">
                <thead>
                    <tr>
                        <th scope="col">"Test"</th>
                        <th scope="col">"Campaign"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Primary metric"</th>
                        <th scope="col">"Arms"</th>
                        <th scope="col" class="num">"Users"</th>
                        <th scope="col">"Verdict"</th>
                        <th scope="col">"Planned end"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>
                            <th scope="row" class="table__name"><A href=format!("/experiments/{}", row.id)>{row.name.clone()}</A></th>
                            <td>{row.campaign_name.clone().unwrap_or_else(|| "—".to_owned())}</td>
                            <td>{status_pill(row.status)}</td>
                            <td>{row.primary_metric.clone()}</td>
                            <td>{row.arms.join(" vs ")}</td>
                            <td class="num">{format::count(row.users as i64)}</td>
                            <td>{row.verdict.clone().unwrap_or_else(|| "—".to_owned())}</td>
                            <td>{date(row.ends_at)}</td>
                        </tr>
                    }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/experiments/new?campaign=…&creative=…` (a creative test, opened from Module 5's row menu)
/// or `?kind=campaign` (a campaign test): the arms, the split, the metrics, the smallest lift
/// worth finding and the duration, with the planner's figures from the campaign's history.
#[component]
pub fn NewExperiment() -> impl IntoView {
    let query = use_query_map();
    let kind = Memo::new(move |_| query.with(|q| q.get("kind").unwrap_or_default()));
    let campaign_id = Memo::new(move |_| query.with(|q| q.get("campaign").unwrap_or_default()));
    let creative_id = Memo::new(move |_| query.with(|q| q.get("creative").unwrap_or_default()));
    let create = ServerAction::<CreateExperiment>::new();
    // A created test opens its own page.
    Effect::new(move |_| {
        if let Some(Ok(CreateExperimentOutcome::Created(id))) = create.value().get() {
            let navigate = leptos_router::hooks::use_navigate();
            navigate(&format!("/experiments/{id}"), Default::default());
        }
    });
    let campaigns = Resource::new(|| (), |_| load_leaderboard("per_page=500&sort=name&order=asc".to_owned()));
    let campaign = Resource::new(
        move || (kind.get(), campaign_id.get()),
        |(kind, id)| async move {
            if kind == "campaign" || id.is_empty() {
                return Ok(None);
            }
            let id = uuid::Uuid::parse_str(&id).map_err(|_| ServerFnError::new(format!("'{id}' is not a campaign id")))?;
            load_campaign(id, String::new()).await.map(Some)
        },
    );
    view! {
        <Title text="New A/B test"/>
        <div class="page-head">
            <h1 class="page-title">"New A/B test"</h1>
            <p class="page-lede">"Users are split by a pinned hash, independent of the campaign's holdout; each user stays in one arm for the whole test."</p>
        </div>
        {move || match create.value().get() {
            Some(Ok(CreateExperimentOutcome::Created(id))) => view! {
                <p class="notice notice--info" role="status">"The test was created as a draft. "<A href=format!("/experiments/{id}")>"Open it to start it"</A></p>
            }.into_any(),
            Some(Ok(CreateExperimentOutcome::Invalid(fields))) => view! {
                <p class="notice notice--error" role="alert">{format!("{} field(s) need attention; see the reasons below.", fields.len())}</p>
            }.into_any(),
            Some(Err(err)) => view! { <p class="notice notice--error" role="alert">{format!("The test was not created: {err}")}</p> }.into_any(),
            None => ().into_any(),
        }}
        <Transition fallback=|| view! { <div class="grid"><Panel title="Test" span=12><Skeleton lines=6/></Panel></div> }>
            {move || Suspend::new(async move {
                match (campaigns.await, campaign.await) {
                    (Ok(list), Ok(detail)) => view! {
                        <ExperimentFormView campaigns=list.rows detail creative=creative_id.get_untracked() campaign=campaign_id.get_untracked() create/>
                    }.into_any(),
                    (Err(err), _) | (_, Err(err)) => view! { <div class="grid"><Panel title="Test" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ExperimentFormView(
    campaigns: Vec<crate::wire::LeaderboardRow>,
    detail: Option<crate::wire::CampaignPerformanceResponse>,
    creative: String,
    campaign: String,
    create: ServerAction<CreateExperiment>,
) -> impl IntoView {
    let errors = Memo::new(move |_| match create.value().get() {
        Some(Ok(CreateExperimentOutcome::Invalid(fields))) => fields,
        _ => Vec::new(),
    });
    let reasons = move |field: &'static str| {
        move || {
            errors
                .get()
                .into_iter()
                .filter(|e: &FieldError| form_field(&e.field) == field)
                .map(|e| view! { <span class="field__error" role="alert">{e.reason}</span> })
                .collect_view()
        }
    };
    let metric = RwSignal::new(Metric::ClickRate.as_str().to_owned());
    let effect = RwSignal::new("20".to_owned());
    // The control and the challenger (ticked by default) for a creative test; the control for a
    // campaign test; each ticked variant adds one.
    let arms = RwSignal::new(if detail.is_some() { 2usize } else { 1 });
    let planned_campaign = RwSignal::new(detail.as_ref().map(|d| d.campaign.id.to_string()).unwrap_or(campaign.clone()));
    let plan = Resource::new(
        move || (planned_campaign.get(), metric.get(), effect.get(), arms.get()),
        |(campaign, metric, effect, arms)| async move {
            if campaign.is_empty() {
                return Err(ServerFnError::new("choose the control campaign to see the planner's figures"));
            }
            load_experiment_plan(format!("campaign_id={campaign}&metric={metric}&minimum_effect_percent={}&arms={arms}", effect.trim())).await
        },
    );
    let arms_section = match &detail {
        Some(detail) => {
            let c = detail.campaign.clone();
            let Some(control) = c.creatives.iter().find(|k| k.id.to_string() == creative).or(c.creatives.first()).cloned() else {
                return view! { <div class="grid"><Panel title="Test" span=12><EmptyState title="No creative to challenge" detail="This campaign has no creatives."/></Panel></div> }.into_any();
            };
            let others: Vec<crate::wire::CreativeView> = c.creatives.iter().filter(|k| k.id != control.id).cloned().collect();
            view! {
                <input type="hidden" name="kind" value="creative"/>
                <input type="hidden" name="campaign_id" value=c.id.to_string()/>
                <fieldset class="form-section">
                    <legend>{format!("Creatives of {}", c.name)}</legend>
                    <label class="field">
                        <span class="field__label">"Creative to challenge (the control)"</span>
                        <select name="control_creative_id">
                            {c.creatives.iter().map(|k| view! { <option value=k.id.to_string() selected=k.id == control.id>{format!("{} — {}", k.name, k.headline)}</option> }).collect_view()}
                        </select>
                        {reasons("control_creative_id")}
                    </label>
                    {(!others.is_empty()).then(|| view! {
                        <fieldset class="checks">
                            <legend>"Also test these creatives"</legend>
                            {others.iter().enumerate().map(|(i, k)| view! {
                                <label><input type="checkbox" name=format!("variant_creatives[{i}]") value=k.id.to_string()
                                    on:change=move |ev| { let on = event_target_checked(&ev); arms.update(|n| if on { *n += 1 } else { *n = n.saturating_sub(1) }) }/>
                                    {format!("{} — {}", k.name, k.headline)}</label>
                            }).collect_view()}
                        </fieldset>
                    })}
                    {reasons("variant_creatives")}
                </fieldset>
                <fieldset class="form-section">
                    <legend>"A new challenger: a clone of the control; change what you want to test"</legend>
                    <label class="check"><input type="checkbox" name="with_challenger" checked=true
                        on:change=move |ev| { let on = event_target_checked(&ev); arms.update(|n| if on { *n += 1 } else { *n = n.saturating_sub(1) }) }/>"Add this challenger to the test"</label>
                    <label class="field">
                        <span class="field__label">"Name"</span>
                        <input type="text" name="challenger_name" maxlength="200" value=format!("{} (challenger)", control.name)/>
                        {reasons("challenger_name")}
                    </label>
                    <label class="field">
                        <span class="field__label">"Headline"</span>
                        <input type="text" name="challenger_headline" maxlength="200" value=control.headline.clone()/>
                        {reasons("challenger_headline")}
                    </label>
                    <label class="field">
                        <span class="field__label">"Body"</span>
                        <textarea name="challenger_body" maxlength="5000" rows="3">{control.body.clone()}</textarea>
                        {reasons("challenger_body")}
                    </label>
                    <label class="field">
                        <span class="field__label">"Call to action"</span>
                        <input type="text" name="challenger_cta" maxlength="100" value=control.call_to_action.clone()/>
                        {reasons("challenger_cta")}
                    </label>
                </fieldset>
            }
            .into_any()
        }
        None => {
            view! {
                <input type="hidden" name="kind" value="campaign"/>
                <fieldset class="form-section">
                    <legend>"Campaigns: each arm's users get only that arm's campaign"</legend>
                    <label class="field">
                        <span class="field__label">"Control campaign"</span>
                        <select name="campaign_id" on:change=move |ev| planned_campaign.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            {campaigns.iter().map(|c| view! { <option value=c.campaign_id.to_string() selected=c.campaign_id.to_string() == campaign>{c.name.clone()}</option> }).collect_view()}
                        </select>
                        {reasons("campaign_id")}
                    </label>
                    <fieldset class="checks">
                        <legend>"Variant campaigns"</legend>
                        {campaigns.iter().enumerate().map(|(i, c)| view! {
                            <label><input type="checkbox" name=format!("variant_campaigns[{i}]") value=c.campaign_id.to_string()
                                on:change=move |ev| { let on = event_target_checked(&ev); arms.update(|n| if on { *n += 1 } else { *n = n.saturating_sub(1) }) }/>
                                {c.name.clone()}</label>
                        }).collect_view()}
                    </fieldset>
                    {reasons("variant_campaigns")}
                </fieldset>
            }
            .into_any()
        }
    };
    let default_name = detail.as_ref().map(|d| format!("{}: creative test", d.campaign.name)).unwrap_or_default();
    view! {
        <div class="grid">
            <section class="panel span-8" aria-label="Test form">
                <ActionForm action=create attr:class="form">
                    <label class="field">
                        <span class="field__label">"Test name"</span>
                        <input type="text" name="name" required=true maxlength="200" value=default_name/>
                        {reasons("name")}
                    </label>
                    {arms_section}
                    <fieldset class="form-section">
                        <legend>"Design"</legend>
                        <label class="field">
                            <span class="field__label">"Split, % per arm, the control first (empty: even)"</span>
                            <input type="text" name="split" placeholder="50, 50"/>
                            {reasons("split")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Primary metric"</span>
                            <select name="primary_metric" on:change=move |ev| metric.set(event_target_value(&ev))>
                                {Metric::ALL.into_iter().filter(|m| *m != Metric::UnsubscribeRate).map(|m| view! { <option value=m.as_str()>{m.name()}</option> }).collect_view()}
                            </select>
                            {reasons("primary_metric")}
                        </label>
                        <fieldset class="checks">
                            <legend>"Guardrails (the winner must not be significantly worse on these)"</legend>
                            {Metric::ALL.into_iter().enumerate().map(|(i, m)| view! {
                                <label><input type="checkbox" name=format!("guardrails[{i}]") value=m.as_str() checked=m == Metric::UnsubscribeRate/>{m.name()}</label>
                            }).collect_view()}
                            {reasons("guardrails")}
                        </fieldset>
                        <label class="field">
                            <span class="field__label">"Smallest lift worth finding, % of the baseline"</span>
                            <input type="text" inputmode="decimal" name="minimum_effect_percent" value="20" on:input=move |ev| effect.set(event_target_value(&ev))/>
                            {reasons("minimum_effect_percent")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Duration, days (1 to 90)"</span>
                            <input type="text" inputmode="numeric" name="duration_days" value="14"/>
                            {reasons("duration_days")}
                        </label>
                        <label class="check"><input type="checkbox" name="auto_ship"/>"Ship the winner automatically when the always-valid test finds one and no guardrail is harmed"</label>
                        <p class="field__hint">"CUPED adjusts with each user's spend in the 28 days before they joined."</p>
                    </fieldset>
                    <button type="submit" class="button">"Create the test (draft)"</button>
                </ActionForm>
            </section>
            <Panel title="Planner" subtitle="From the control campaign's last 28 days" span=4>
                <Transition fallback=|| view! { <Skeleton lines=4/> }>
                    {move || Suspend::new(async move {
                        match plan.await {
                            Ok(plan) => {
                                let kind = metric.get_untracked().parse::<Metric>().map_or(OutcomeKind::Binary, |m| m.outcome().kind);
                                view! { <PlanFigures plan kind/> }.into_any()
                            }
                            Err(err) => view! { <p class="field__hint">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </Panel>
        </div>
    }
    .into_any()
}

fn value_text(kind: OutcomeKind, unit: &str, v: f64) -> String {
    match (kind, unit) {
        (OutcomeKind::Binary, _) => format::percent(v * 100.0),
        (_, "$") => format::money(v),
        (_, "×") => format!("{v:.2}×"),
        _ => format!("{v:.3}"),
    }
}

#[component]
fn PlanFigures(plan: Plan, kind: OutcomeKind) -> impl IntoView {
    let unit = if kind == OutcomeKind::Binary { "%" } else { "" };
    view! {
        <dl class="facts">
            <dt>"Baseline"</dt>
            <dd>{plan.baseline.map_or_else(|| "no history yet".to_owned(), |b| value_text(kind, unit, b))}</dd>
            <dt>"Lift to detect"</dt>
            <dd>{plan.absolute_effect.map_or_else(|| "—".to_owned(), |e| value_text(kind, unit, e))}</dd>
            <dt>"Users per arm"</dt>
            <dd>{plan.users_per_arm.map_or_else(|| "—".to_owned(), |n| format::count(n as i64))}</dd>
            <dt>"Users per day (all arms)"</dt>
            <dd>{plan.daily_users.map_or_else(|| "no traffic yet".to_owned(), |d| format::count(d.round() as i64))}</dd>
            <dt>"Days needed"</dt>
            <dd>{plan.days_needed.map_or_else(|| "—".to_owned(), |d| format!("{:.0}", d.ceil()))}</dd>
        </dl>
        <p class="field__hint">{format!("α = {:.3} per comparison, 80% power.", plan.alpha_per_comparison)}</p>
    }
}

/// `/experiments/:id`: the verdict first, then the numbers, the planner, the decisions.
#[component]
pub fn ExperimentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let decide = ServerAction::<DecideExperiment>::new();
    let extend = ServerAction::<ExtendExperiment>::new();
    let experiment = Resource::new(
        move || (id.get(), decide.version().get(), extend.version().get()),
        |(id, _, _)| async move {
            let id = uuid::Uuid::parse_str(&id).map_err(|_| ServerFnError::new(format!("'{id}' is not an experiment id")))?;
            load_experiment(id).await
        },
    );
    view! {
        <Title text="Experiment"/>
        {move || extend.value().get().map(|outcome| match outcome {
            Ok(()) => view! { <p class="notice notice--info" role="status">"Extended; the decision is in the test's history and the audit log."</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The extension was refused: {err}")}</p> }.into_any(),
        })}
        {move || decide.value().get().map(|outcome| match outcome {
            Ok(()) => view! { <p class="notice notice--info" role="status">"Done; the decision is in the test's history and the audit log."</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The decision was refused: {err}")}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <div class="grid"><Panel title="Experiment" span=12><Skeleton lines=8/></Panel></div> }>
            {move || Suspend::new(async move {
                match experiment.await {
                    Ok(view) => view! { <ExperimentDetail experiment=view decide extend/> }.into_any(),
                    Err(err) => view! { <div class="grid"><Panel title="Experiment" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ExperimentDetail(experiment: ExperimentView, decide: ServerAction<DecideExperiment>, extend: ServerAction<ExtendExperiment>) -> impl IntoView {
    let e = experiment;
    let verdict_class = |state: VerdictState| match state {
        VerdictState::Winner | VerdictState::ControlWins => "verdict verdict--decided",
        VerdictState::SampleRatioMismatch | VerdictState::GuardrailHarmed | VerdictState::Unmeasurable => "verdict verdict--warn",
        _ => "verdict",
    };
    let subtitle = format!(
        "{} · {} · started {} · planned end {}",
        e.campaign_name.clone().unwrap_or_else(|| "imported".to_owned()),
        e.arms.iter().map(|a| format!("{} {:.0}%", a.label, a.share_percent)).collect::<Vec<_>>().join(" / "),
        date(e.started_at),
        date(e.ends_at)
    );
    view! {
        <div class="page-head">
            <h1 class="page-title">{e.name.clone()}" "{status_pill(e.status)}</h1>
            <p class="page-lede">{subtitle}</p>
        </div>
        {e.results.as_ref().map(|r| view! {
            <p class=verdict_class(r.verdict.state) role="status" data-verdict=format!("{:?}", r.verdict.state)>
                <strong>"Verdict: "</strong>{r.verdict.headline.clone()}
            </p>
        })}
        {(e.off_arm_deliveries > 0).then(|| view! {
            <p class="notice notice--warn">{format!("{} deliveries sent another arm's creative; results are by assigned arm, so the difference is diluted.", format::count(e.off_arm_deliveries as i64))}</p>
        })}
        {e.decision.clone().map(|d| view! { <p class="freshness">{d}</p> })}
        <div class="grid">
            <Decisions experiment=e.clone() decide extend/>
            {match &e.results {
                Some(results) => view! { <ResultsPanels results=results.clone()/> }.into_any(),
                None => view! {
                    <Panel title="Planner" subtitle="From the campaign's last 28 days; results appear once the test starts" span=12>
                        {e.plan.clone().map(|plan| view! { <PlanFigures plan kind={e.primary_metric.parse::<Metric>().map_or(OutcomeKind::Binary, |m| m.outcome().kind)}/> })}
                    </Panel>
                }.into_any(),
            }}
            <Panel title="History" subtitle="Every decision on this test, as the audit log has it" span=12>
                <ol class="history">
                    {e.history.iter().map(|h| view! {
                        <li><time>{h.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</time>" · "<code>{h.action.clone()}</code>" · "{h.actor.clone()}{h.reason.clone().map(|r| format!(" — {r}"))}</li>
                    }).collect_view()}
                </ol>
            </Panel>
        </div>
    }
    .into_any()
}

/// Start, stop and ship, each asking for confirmation; the server checks the capability.
#[component]
fn Decisions(experiment: ExperimentView, decide: ServerAction<DecideExperiment>, extend: ServerAction<ExtendExperiment>) -> impl IntoView {
    let id = experiment.id.to_string();
    let rollout = if experiment.kind == crate::wire::ExperimentKind::Campaign {
        "Shipping rolls the arm out to 100%: the other arms' campaigns are paused"
    } else {
        "Shipping rolls the arm out to 100%: the campaign's other creatives are paused"
    };
    // The arm the verdict names: a ship-ready winner, or the control when it beat every variant.
    let winner = experiment.results.as_ref().and_then(|r| (r.verdict.ship_ready || r.verdict.state == VerdictState::ControlWins).then_some(r.verdict.winner).flatten());
    let form = |action: ExperimentAction, label: &'static str, confirm: &'static str, with_arm: bool| {
        let arms = experiment.arms.clone();
        let id = id.clone();
        view! {
            <details class="menu__confirm">
                <summary>{label}"…"</summary>
                <ActionForm action=decide attr:class="form">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="action" value=serde_json::to_value(action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()/>
                    {with_arm.then(|| view! {
                        <label class="field">
                            <span class="field__label">"Arm to roll out to 100%"</span>
                            <select name="arm">
                                {arms.iter().enumerate().map(|(i, a)| view! { <option value=i.to_string() selected=Some(i) == winner>{a.label.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                    })}
                    <label class="field">
                        <span class="field__label">{if with_arm { "Reason (needed when you ship an arm the verdict does not name)" } else { "Reason (kept in the audit log)" }}</span>
                        <input type="text" name="reason" maxlength="500"/>
                    </label>
                    <button type="submit" class="button">{confirm}</button>
                </ActionForm>
            </details>
        }
    };
    let actions = match experiment.status {
        ExperimentStatus::Draft => vec![form(ExperimentAction::Start, "Start test", "Confirm start", false).into_any()],
        ExperimentStatus::Running => vec![
            form(ExperimentAction::Ship, "Ship winner", "Confirm ship", true).into_any(),
            form(ExperimentAction::Stop, "Stop test", "Confirm stop", false).into_any(),
            view! {
                <details class="menu__confirm">
                    <summary>"Extend test…"</summary>
                    <ActionForm action=extend attr:class="form">
                        <input type="hidden" name="id" value=experiment.id.to_string()/>
                        <label class="field">
                            <span class="field__label">"New planned duration, days (from the start)"</span>
                            <input type="text" inputmode="numeric" name="duration_days" required=true value=(experiment.duration_days + 7).to_string()/>
                        </label>
                        <label class="field">
                            <span class="field__label">"Reason (kept in the audit log)"</span>
                            <input type="text" name="reason" maxlength="500"/>
                        </label>
                        <button type="submit" class="button">"Confirm extension"</button>
                    </ActionForm>
                </details>
            }
            .into_any(),
        ],
        ExperimentStatus::Stopped => vec![form(ExperimentAction::Ship, "Ship winner", "Confirm ship", true).into_any()],
        _ => Vec::new(),
    };
    (!actions.is_empty()).then(|| view! {
        <Panel title="Decide" subtitle=rollout span=12>
            <div class="actions">{actions}</div>
        </Panel>
    })
}

#[component]
fn ResultsPanels(results: Results) -> impl IntoView {
    let arms = results.arms.clone();
    let labels: Vec<String> = arms.iter().map(|a| a.label.clone()).collect();
    let balance = match (results.sample_ratio, results.balanced) {
        (Some(t), true) => format!("Split as planned (sample-ratio χ² p = {:.3}).", t.p_value),
        (Some(t), false) => format!("Sample ratio mismatch: χ² p = {:.5} < 0.001. No verdict until the assignment is fixed.", t.p_value),
        (None, _) => "Sample-ratio check: not run (too few users yet, or no planned split was given).".to_owned(),
    };
    // Each arm's figures on every metric measured (a native test measures all of them): the
    // members who converted, the rates, revenue per user and ROAS.
    let figure = |key: &str| results.outcomes.iter().find(|o| o.outcome.key == key && o.unavailable.is_none()).cloned();
    let summary: Vec<(&'static str, OutcomeResult, bool)> = [("Conversions", "conversion_rate", true), ("Conversion rate", "conversion_rate", false), ("Click rate", "click_rate", false), ("Revenue per user", "revenue_per_user", false), ("ROAS", "roas", false)]
        .into_iter()
        .filter_map(|(title, key, total)| figure(key).map(|o| (title, o, total)))
        .collect();
    let summary_heads = summary.iter().map(|(title, _, _)| view! { <th scope="col" class="num">{*title}</th> }).collect_view();
    let reading = if results.horizon_reached { "The planned duration is over: the fixed-horizon test decides." } else { "Before the planned end, only the always-valid (sequential) test can declare a winner." };
    view! {
        <Panel title="Arms" subtitle=balance span=12>
            <div class="table-scroll" tabindex="0">
                <table class="table" aria-label="Arms">
                    <thead><tr><th scope="col">"Arm"</th><th scope="col" class="num">"Planned"</th><th scope="col" class="num">"Users"</th><th scope="col" class="num">"Observed"</th>{summary_heads}</tr></thead>
                    <tbody>
                        {arms.iter().enumerate().map(|(i, a)| view! {
                            <tr>
                                <th scope="row">{a.label.clone()}{(i == results.control).then_some(" (control)")}</th>
                                <td class="num">{format::percent(a.planned_share * 100.0)}</td>
                                <td class="num">{format::count(a.users as i64)}</td>
                                <td class="num">{a.observed_share.map_or_else(|| "—".to_owned(), |s| format::percent(s * 100.0))}</td>
                                {summary.iter().map(|(_, o, total)| {
                                    let v = o.arms.get(i);
                                    let text = match v {
                                        Some(v) if *total => format::count(v.total.round() as i64),
                                        Some(v) => v.mean.map_or_else(|| "—".to_owned(), |m| value_text(o.outcome.kind, &o.outcome.unit, m)),
                                        None => "—".to_owned(),
                                    };
                                    view! { <td class="num">{text}</td> }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="freshness">{reading}</p>
        </Panel>
        {results.outcomes.iter().map(|o| view! { <OutcomePanel outcome=o.clone() arms=labels.clone() control=results.control/> }.into_any()).collect_view()}
        <Panel title="Planner" subtitle="For the primary metric at the traffic so far" span=6>
            <PlanFigures plan=results.plan.clone() kind=results.outcomes.first().map_or(OutcomeKind::Binary, |o| o.outcome.kind)/>
            <p class="field__hint">{results.plan.days_remaining.filter(|_| results.verdict.state == VerdictState::Collecting).map(|d| format!("About {:.0} more day(s) to reach the planned sample.", d.ceil()))}</p>
        </Panel>
        <Panel title="Methods" span=6>
            <ul class="methods">{results.methods.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
        </Panel>
    }
}

fn signed(outcome: &Outcome, d: f64) -> String {
    let sign = if d > 0.0 { "+" } else if d < 0.0 { "−" } else { "" };
    let text = value_text(outcome.kind, &outcome.unit, d.abs());
    format!("{sign}{}", if outcome.kind == OutcomeKind::Binary { text.replace('%', " pts") } else { text })
}

fn interval_text(outcome: &Outcome, i: Option<analytics::stats::Interval>) -> String {
    i.map_or_else(|| "—".to_owned(), |i| format!("{} to {}", signed(outcome, i.low), signed(outcome, i.high)))
}

fn p_text(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| if p < 0.0001 { "< 0.0001".to_owned() } else { format!("{p:.4}") })
}

#[component]
fn OutcomePanel(outcome: OutcomeResult, arms: Vec<String>, control: usize) -> impl IntoView {
    let o = outcome.outcome.clone();
    let role = if outcome.primary {
        "Primary metric"
    } else if outcome.guardrail {
        "Guardrail"
    } else {
        "Also measured"
    };
    let direction = if o.higher_is_better { "higher is better" } else { "lower is better" };
    let cuped = outcome
        .variance_reduction
        .map(|r| format!(" · CUPED removed {:.1}% of the variance: the difference, its interval and p are adjusted; the plain test's p is beside them", r * 100.0))
        .unwrap_or_default();
    let p_header = if outcome.primary { "p (Holm)" } else { "p" };
    // Reported beside the judged metrics, each test uncorrected: a small p here is a lead, not a finding.
    let reported = if outcome.primary || outcome.guardrail { "" } else { " · reported only: it judges nothing, and its p-values are not corrected for looking at several metrics" };
    let title = format!("{role}: {}", o.name);
    if let Some(reason) = outcome.unavailable.clone() {
        return view! { <Panel title=title span=12><EmptyState title="Cannot be measured" detail=reason/></Panel> }.into_any();
    }
    let comparisons: Vec<Comparison> = outcome.comparisons.clone();
    let o_kind_binary = o.kind == OutcomeKind::Binary;
    let row = move |i: usize, label: String| {
        let value = outcome.arms.get(i).cloned();
        let c = comparisons.iter().find(|c| c.arm == i).cloned();
        let o = o.clone();
        view! {
            <tr>
                <th scope="row">{label}{(i == control).then_some(" (control)")}</th>
                <td class="num">{format::count(value.as_ref().map_or(0, |v| v.n) as i64)}</td>
                <td class="num">{value.as_ref().and_then(|v| v.mean).map_or_else(|| "—".to_owned(), |m| value_text(o.kind, &o.unit, m))}</td>
                <td class="num">{value.as_ref().and_then(|v| v.interval).map_or_else(|| "—".to_owned(), |i| format!("{} to {}", value_text(o.kind, &o.unit, i.low), value_text(o.kind, &o.unit, i.high)))}</td>
                <td class="num">{c.as_ref().and_then(|c| c.adjusted_difference.or(c.difference)).map_or_else(|| "—".to_owned(), |d| signed(&o, d))}</td>
                <td class="num">{c.as_ref().map_or_else(|| "—".to_owned(), |c| interval_text(&o, c.adjusted_interval.or(c.interval)))}</td>
                <td class="num">{c.as_ref().and_then(|c| c.relative).map_or_else(|| "—".to_owned(), format::change)}</td>
                <td class="num">{c.as_ref().and_then(|c| c.relative_interval).map_or_else(|| "—".to_owned(), |i| format!("{} to {}", format::change(i.low), format::change(i.high)))}</td>
                <td class="num">{p_text(c.as_ref().and_then(|c| c.test.map(|t| t.p_value)))}</td>
                <td class="num">{p_text(c.as_ref().and_then(|c| c.holm_p_value))}</td>
                <td class="num">{c.as_ref().map_or_else(|| "—".to_owned(), |c| format!("{} ({})", p_text(c.sequential_holm_p_value), interval_text(&o, c.sequential_interval)))}</td>
                <td class="num">{c.as_ref().and_then(|c| c.chance_to_beat).map_or_else(|| "—".to_owned(), |p| format::percent(p * 100.0))}</td>
                <td class="num">{c.as_ref().and_then(|c| c.expected_loss).map_or_else(|| "—".to_owned(), |l| value_text(o.kind, &o.unit, l))}</td>
            </tr>
        }
        .into_any()
    };
    view! {
        <Panel title=title subtitle=format!("{direction}; differences against the control with 95% intervals{cuped}{reported}") span=12>
            <div class="table-scroll" tabindex="0">
                <table class="table" aria-label=format!("{} by arm", outcome.outcome.name)>
                    <thead>
                        <tr>
                            <th scope="col">"Arm"</th>
                            <th scope="col" class="num">"Users"</th>
                            <th scope="col" class="num">"Value"</th>
                            <th scope="col" class="num">"95% interval"</th>
                            <th scope="col" class="num">"Difference"</th>
                            <th scope="col" class="num">"95% interval"</th>
                            <th scope="col" class="num">"Relative"</th>
                            <th scope="col" class="num">"Relative 95% interval"</th>
                            <th scope="col" class="num">{if o_kind_binary { "p (z-test)" } else { "p (Welch)" }}</th>
                            <th scope="col" class="num">{p_header}</th>
                            <th scope="col" class="num">"Always-valid p (interval)"</th>
                            <th scope="col" class="num">"Chance to beat"</th>
                            <th scope="col" class="num">"Expected loss"</th>
                        </tr>
                    </thead>
                    <tbody>{arms.into_iter().enumerate().map(|(i, label)| row(i, label)).collect_view()}</tbody>
                </table>
            </div>
        </Panel>
    }
    .into_any()
}
