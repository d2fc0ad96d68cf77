//! Who may do what: the seven roles, the capabilities, and the one permission matrix between
//! them. The server enforces it on every request; the pages use it only to leave out controls a
//! role cannot use (hiding a button is never the control). `docs/permissions.md` is rendered from
//! here (`swipesavvy docs`), and a test fails when the document drifts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A sign-in role: the six personas of spec PART 2, plus the administrator.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cmo,
    PerfLead,
    LifecycleLead,
    RewardsPm,
    DataScience,
    Compliance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Cmo, Role::PerfLead, Role::LifecycleLead, Role::RewardsPm, Role::DataScience, Role::Compliance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cmo => "cmo",
            Role::PerfLead => "perf_lead",
            Role::LifecycleLead => "lifecycle_lead",
            Role::RewardsPm => "rewards_pm",
            Role::DataScience => "data_science",
            Role::Compliance => "compliance",
            Role::Admin => "admin",
        }
    }

    /// The persona's title, as people say it.
    pub fn title(self) -> &'static str {
        match self {
            Role::Cmo => "Chief Marketing Officer",
            Role::PerfLead => "Performance Marketing Lead",
            Role::LifecycleLead => "Lifecycle / CRM Lead",
            Role::RewardsPm => "Rewards Product Manager",
            Role::DataScience => "Data Science / ML Owner",
            Role::Compliance => "Compliance / Risk Officer",
            Role::Admin => "Administrator",
        }
    }

    /// Where the role lands after signing in: its own modules first (spec PART 2).
    pub fn landing_path(self) -> &'static str {
        match self {
            Role::Cmo => "/",
            Role::PerfLead => "/campaigns",
            Role::LifecycleLead => "/funnel",
            Role::RewardsPm => "/segments",
            Role::DataScience => "/system-health",
            Role::Compliance => "/compliance",
            Role::Admin => "/admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == value).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role '{value}': expected one of {}", names.join(", "))
        })
    }
}

/// The eleven dashboard modules of spec PART 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    KpiCards,
    Leaderboard,
    Segments,
    CampaignDetail,
    Creatives,
    Funnel,
    Heatmap,
    RoiDeepDive,
    SystemHealth,
    ActionCenter,
    ComplianceAudit,
}

impl Module {
    pub const ALL: [Module; 11] = [
        Module::KpiCards,
        Module::Leaderboard,
        Module::Segments,
        Module::CampaignDetail,
        Module::Creatives,
        Module::Funnel,
        Module::Heatmap,
        Module::RoiDeepDive,
        Module::SystemHealth,
        Module::ActionCenter,
        Module::ComplianceAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Module::KpiCards => "kpi_cards",
            Module::Leaderboard => "leaderboard",
            Module::Segments => "segments",
            Module::CampaignDetail => "campaign_detail",
            Module::Creatives => "creatives",
            Module::Funnel => "funnel",
            Module::Heatmap => "heatmap",
            Module::RoiDeepDive => "roi_deep_dive",
            Module::SystemHealth => "system_health",
            Module::ActionCenter => "action_center",
            Module::ComplianceAudit => "compliance_audit",
        }
    }

    /// The module's number and name in the spec.
    pub fn title(self) -> &'static str {
        match self {
            Module::KpiCards => "1. Executive KPI cards",
            Module::Leaderboard => "2. Campaign leaderboard",
            Module::Segments => "3. Segment picker and summary",
            Module::CampaignDetail => "4. Campaign detail",
            Module::Creatives => "5. Creative breakdown",
            Module::Funnel => "6. Conversion funnel",
            Module::Heatmap => "7. Engagement heatmap",
            Module::RoiDeepDive => "8. ROI deep dive",
            Module::SystemHealth => "9. System health",
            Module::ActionCenter => "10. Action Center",
            Module::ComplianceAudit => "11. Compliance audit log",
        }
    }
}

/// The ten recommendation types of spec PART 6 (defined beside the engine).
pub use analytics::recommend::RecommendationKind;

/// Something a signed-in person may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "capability", content = "of")]
pub enum Capability {
    /// See a dashboard module and read its API.
    View(Module),
    /// See rows about individual (pseudonymous) users rather than aggregates.
    ViewUserRows,
    /// See contact details unmasked (each unmask is logged with its reason).
    UnmaskPersonalData,
    PauseResumeCampaigns,
    ChangeBudgets,
    CreateCampaigns,
    ApproveCampaigns,
    /// Execute (or schedule) a recommendation of one type.
    Execute(RecommendationKind),
    RunExperiments,
    Export,
    ManageUsers,
    ManageKeys,
    ReadAuditLog,
    ReadDataAccessLog,
    /// Erase a person's data on request (GDPR article 17); audited.
    ErasePersonalData,
}

impl Capability {
    /// Every capability, in the order of the permissions document.
    pub fn all() -> Vec<Capability> {
        let mut all: Vec<Capability> = Module::ALL.iter().map(|m| Capability::View(*m)).collect();
        all.extend([
            Capability::ViewUserRows,
            Capability::UnmaskPersonalData,
            Capability::PauseResumeCampaigns,
            Capability::ChangeBudgets,
            Capability::CreateCampaigns,
            Capability::ApproveCampaigns,
        ]);
        all.extend(RecommendationKind::ALL.iter().map(|k| Capability::Execute(*k)));
        all.extend([
            Capability::RunExperiments,
            Capability::Export,
            Capability::ManageUsers,
            Capability::ManageKeys,
            Capability::ReadAuditLog,
            Capability::ReadDataAccessLog,
            Capability::ErasePersonalData,
        ]);
        all
    }

    /// A stable name such as `view:leaderboard` or `execute:pause_campaign`.
    pub fn name(self) -> String {
        match self {
            Capability::View(module) => format!("view:{}", module.as_str()),
            Capability::Execute(kind) => format!("execute:{}", kind.as_str()),
            Capability::ViewUserRows => "view_user_rows".to_owned(),
            Capability::UnmaskPersonalData => "unmask_personal_data".to_owned(),
            Capability::PauseResumeCampaigns => "pause_resume_campaigns".to_owned(),
            Capability::ChangeBudgets => "change_budgets".to_owned(),
            Capability::CreateCampaigns => "create_campaigns".to_owned(),
            Capability::ApproveCampaigns => "approve_campaigns".to_owned(),
            Capability::RunExperiments => "run_experiments".to_owned(),
            Capability::Export => "export".to_owned(),
            Capability::ManageUsers => "manage_users".to_owned(),
            Capability::ManageKeys => "manage_keys".to_owned(),
            Capability::ReadAuditLog => "read_audit_log".to_owned(),
            Capability::ReadDataAccessLog => "read_data_access_log".to_owned(),
            Capability::ErasePersonalData => "erase_personal_data".to_owned(),
        }
    }

    /// What the capability is, for the permissions document and 403 messages.
    pub fn describe(self) -> String {
        match self {
            Capability::View(module) => format!("view module {}", module.title()),
            Capability::Execute(kind) => format!("execute or schedule '{}' recommendations", kind.as_str()),
            Capability::ViewUserRows => "view user-level rows".to_owned(),
            Capability::UnmaskPersonalData => "unmask personal data (with a logged reason)".to_owned(),
            Capability::PauseResumeCampaigns => "pause or resume campaigns".to_owned(),
            Capability::ChangeBudgets => "change campaign budgets".to_owned(),
            Capability::CreateCampaigns => "create campaigns".to_owned(),
            Capability::ApproveCampaigns => "approve campaigns for launch".to_owned(),
            Capability::RunExperiments => "create, start and stop experiments".to_owned(),
            Capability::Export => "export tables and reports".to_owned(),
            Capability::ManageUsers => "manage users, roles and sessions".to_owned(),
            Capability::ManageKeys => "manage API keys".to_owned(),
            Capability::ReadAuditLog => "read the audit log".to_owned(),
            Capability::ReadDataAccessLog => "read the data-access log".to_owned(),
            Capability::ErasePersonalData => "erase a person's data on request (GDPR)".to_owned(),
        }
    }
}

impl Role {
    /// The permission matrix: the one place that says what a role may do.
    pub fn allows(self, capability: Capability) -> bool {
        use Capability as C;
        use Module as M;
        use RecommendationKind as R;
        match self {
            // Everything but unmasking personal data, which stays with compliance (least privilege).
            Role::Admin => capability != C::UnmaskPersonalData,
            // Board-level ROI and budget: every marketing module, budget moves, pausing.
            Role::Cmo => matches!(
                capability,
                C::View(
                    M::KpiCards
                        | M::Leaderboard
                        | M::Segments
                        | M::CampaignDetail
                        | M::Creatives
                        | M::Funnel
                        | M::Heatmap
                        | M::RoiDeepDive
                        | M::ActionCenter
                ) | C::PauseResumeCampaigns
                    | C::ChangeBudgets
                    | C::Execute(R::PauseCampaign | R::ReallocateBudget | R::BudgetIncrease)
                    | C::Export
            ),
            // Runs campaigns day to day: pause, budgets, creatives, targeting, tests.
            Role::PerfLead => matches!(
                capability,
                C::View(
                    M::KpiCards
                        | M::Leaderboard
                        | M::Segments
                        | M::CampaignDetail
                        | M::Creatives
                        | M::Funnel
                        | M::Heatmap
                        | M::RoiDeepDive
                        | M::ActionCenter
                ) | C::PauseResumeCampaigns
                    | C::ChangeBudgets
                    | C::CreateCampaigns
                    | C::Execute(
                        R::PauseCampaign
                            | R::ReallocateBudget
                            | R::TestCreative
                            | R::ExpandFocusSegment
                            | R::AdjustFrequency
                            | R::BudgetIncrease
                            | R::ChangeTargeting
                            | R::LaunchHoldout
                    )
                    | C::RunExperiments
                    | C::Export
            ),
            // Retention: funnel, timing, frequency, re-engagement lists of users.
            Role::LifecycleLead => matches!(
                capability,
                C::View(
                    M::KpiCards
                        | M::Leaderboard
                        | M::Segments
                        | M::CampaignDetail
                        | M::Creatives
                        | M::Funnel
                        | M::Heatmap
                        | M::RoiDeepDive
                        | M::ActionCenter
                ) | C::ViewUserRows
                    | C::PauseResumeCampaigns
                    | C::CreateCampaigns
                    | C::Execute(
                        R::PauseCampaign
                            | R::TestCreative
                            | R::ExpandFocusSegment
                            | R::AdjustFrequency
                            | R::ChangeTargeting
                    )
                    | C::RunExperiments
                    | C::Export
            ),
            // Rewards economics: segments, ROI, redemption funnel, seasonal heatmap, reward tests
            // (reading a test's results needs the creatives module, where tests live).
            Role::RewardsPm => matches!(
                capability,
                C::View(
                    M::KpiCards
                        | M::Leaderboard
                        | M::Segments
                        | M::CampaignDetail
                        | M::Creatives
                        | M::Funnel
                        | M::Heatmap
                        | M::RoiDeepDive
                        | M::ActionCenter
                ) | C::CreateCampaigns
                    | C::Execute(R::TestCreative | R::ExpandFocusSegment)
                    | C::RunExperiments
                    | C::Export
            ),
            // Models and data quality: every analytic module plus system health; user rows.
            Role::DataScience => matches!(
                capability,
                C::View(
                    M::KpiCards
                        | M::Leaderboard
                        | M::Segments
                        | M::CampaignDetail
                        | M::Creatives
                        | M::Funnel
                        | M::Heatmap
                        | M::RoiDeepDive
                        | M::SystemHealth
                        | M::ActionCenter
                ) | C::ViewUserRows
                    | C::Execute(R::LaunchHoldout | R::ImproveDataQuality)
                    | C::RunExperiments
                    | C::Export
            ),
            // Audit and consent: reviews campaigns, approves them, reads the logs, unmasks with a reason.
            Role::Compliance => matches!(
                capability,
                C::View(
                    M::KpiCards | M::Leaderboard | M::Segments | M::CampaignDetail | M::ActionCenter | M::ComplianceAudit
                ) | C::ViewUserRows
                    | C::UnmaskPersonalData
                    | C::ApproveCampaigns
                    | C::Execute(R::ComplianceFlag)
                    | C::Export
                    | C::ReadAuditLog
                    | C::ReadDataAccessLog
                    | C::ErasePersonalData
            ),
        }
    }

    /// Every capability the role has, in document order.
    pub fn capabilities(self) -> Vec<Capability> {
        Capability::all().into_iter().filter(|c| self.allows(*c)).collect()
    }
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A browser session cookie.
    Session,
    /// A personal read token (`Authorization: Bearer`): reads the API only.
    PersonalToken,
}

/// A signed-in person, as the server resolved them for this request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub account_id: Uuid,
    pub email: String,
    pub role: Role,
    pub via: AuthMethod,
}

/// What an API key may be used for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Send events.
    Events,
    /// Create and change campaigns, creatives and spend.
    Catalogue,
    /// Send events older than the 30-day limit (history imports).
    Backfill,
    /// Write the customer directory (contact details), e.g. a CRM sync.
    Customers,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Events, Scope::Catalogue, Scope::Backfill, Scope::Customers];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Events => "events",
            Scope::Catalogue => "catalogue",
            Scope::Backfill => "backfill",
            Scope::Customers => "customers",
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| format!("unknown scope '{value}': expected events, catalogue, backfill or customers"))
    }
}

/// A producer authenticated by an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPrincipal {
    pub key_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// Who is calling: resolved once per request by the server's pipeline and stored in the
/// request's extensions, where pages and server functions find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    User(Principal),
    Key(KeyPrincipal),
}

impl Caller {
    /// The signed-in person, if a person is calling.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::User(p) => Some(p),
            Caller::Anonymous | Caller::Key(_) => None,
        }
    }
}

/// `GET /api/v1/auth/me`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub account_id: Uuid,
    pub email: String,
    pub role: Role,
    pub role_title: String,
    pub landing_path: String,
    /// Capability names, e.g. `view:leaderboard`.
    pub permissions: Vec<String>,
}

impl Me {
    pub fn of(principal: &Principal) -> Me {
        Me {
            account_id: principal.account_id,
            email: principal.email.clone(),
            role: principal.role,
            role_title: principal.role.title().to_owned(),
            landing_path: principal.role.landing_path().to_owned(),
            permissions: principal.role.capabilities().into_iter().map(Capability::name).collect(),
        }
    }

    pub fn can(&self, capability: Capability) -> bool {
        self.role.allows(capability)
    }
}

/// `docs/permissions.md`, rendered from the matrix.
pub fn permissions_markdown() -> String {
    let mut out = String::from(
        "# Permissions\n\n\
         Generated from `app/src/access.rs` by `swipesavvy docs`; do not edit by hand (a test fails when this\n\
         file and the code disagree). The server checks the capability of every route on every request:\n\
         anonymous callers get 401, signed-in callers without the capability get 403. Personal read tokens\n\
         act with their owner's role on `GET /api/v1/…` only.\n\n",
    );
    out.push_str("| capability | what it allows |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str("\n|---|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for capability in Capability::all() {
        out.push_str(&format!("| `{}` | {} |", capability.name(), capability.describe()));
        for role in Role::ALL {
            out.push_str(if role.allows(capability) { " ✓ |" } else { " · |" });
        }
        out.push('\n');
    }
    out.push_str("\n## Landing views\n\n| role | persona | lands on |\n|---|---|---|\n");
    for role in Role::ALL {
        out.push_str(&format!("| {} | {} | `{}` |\n", role.as_str(), role.title(), role.landing_path()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_spelling_round_trips_and_unknown_ones_name_the_choices() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        let err = "ceo".parse::<Role>().unwrap_err();
        assert!(err.contains("'ceo'") && err.contains("perf_lead"), "{err}");
    }

    #[test]
    fn capability_names_are_unique() {
        let mut names: Vec<String> = Capability::all().into_iter().map(Capability::name).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(count, 11 + 6 + 10 + 7);
    }

    #[test]
    fn each_role_can_view_the_page_it_lands_on_by_default() {
        // The landing view must be readable by the role, or a fresh sign-in would hit a 403.
        let landing_module = |role: Role| match role.landing_path() {
            "/" => Some(Module::KpiCards),
            "/campaigns" => Some(Module::Leaderboard),
            "/funnel" => Some(Module::Funnel),
            "/segments" => Some(Module::Segments),
            "/system-health" => Some(Module::SystemHealth),
            "/compliance" => Some(Module::ComplianceAudit),
            _ => None,
        };
        for role in Role::ALL {
            match landing_module(role) {
                Some(module) => assert!(role.allows(Capability::View(module)), "{role}"),
                None => assert!(role.allows(Capability::ManageUsers), "{role}"),
            }
        }
    }

    #[test]
    fn least_privilege_holds_where_the_spec_is_explicit() {
        assert!(!Role::Admin.allows(Capability::UnmaskPersonalData));
        assert!(Role::Compliance.allows(Capability::UnmaskPersonalData));
        assert!(!Role::Cmo.allows(Capability::ReadAuditLog));
        assert!(!Role::RewardsPm.allows(Capability::ChangeBudgets));
        for role in Role::ALL {
            assert_eq!(role.allows(Capability::ManageUsers), role == Role::Admin, "{role}");
        }
    }
}

/// What a route or server function requires of its caller. Every route declares one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks, the sign-in page and form, static assets.
    Public,
    /// Any signed-in person, whatever the role (their own profile, signing out).
    SignedIn,
    /// A signed-in person whose role has the capability.
    Requires(Capability),
    /// A producer's API key with the scope (`Authorization: Bearer sskey_…`).
    Key(Scope),
    /// Either a signed-in person with the capability or an API key with the scope (the campaign
    /// catalogue is kept by people and by the systems that plan campaigns).
    UserOrKey(Capability, Scope),
}

/// Why a caller was turned away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No valid credentials (none, or a session, token or key no longer valid): 401.
    Unauthenticated,
    /// Valid credentials that do not allow this: 403, saying what was missing.
    Forbidden(String),
}

impl Access {
    pub fn check(self, caller: &Caller) -> Result<(), Denied> {
        match (self, caller) {
            (Access::Public, _) => Ok(()),
            (_, Caller::Anonymous) => Err(Denied::Unauthenticated),
            (Access::SignedIn, Caller::User(_)) => Ok(()),
            (Access::Requires(capability), Caller::User(principal)) => {
                if principal.role.allows(capability) {
                    Ok(())
                } else {
                    Err(Denied::Forbidden(format!("your role ({}) may not {}", principal.role, capability.describe())))
                }
            }
            (Access::Key(scope), Caller::Key(key)) => {
                if key.scopes.contains(&scope) {
                    Ok(())
                } else {
                    Err(Denied::Forbidden(format!("this API key lacks the '{}' scope", scope.as_str())))
                }
            }
            (Access::UserOrKey(capability, _), Caller::User(_)) => Access::Requires(capability).check(caller),
            (Access::UserOrKey(_, scope), Caller::Key(_)) => Access::Key(scope).check(caller),
            (Access::Key(_), Caller::User(_)) => {
                Err(Denied::Forbidden("this endpoint takes an API key (Authorization: Bearer sskey_…)".to_owned()))
            }
            (Access::SignedIn | Access::Requires(_), Caller::Key(_)) => {
                Err(Denied::Forbidden("API keys only send data; sign in to use this".to_owned()))
            }
        }
    }

    /// How the access reads in the route map.
    pub fn describe(self) -> String {
        match self {
            Access::Public => "public".to_owned(),
            Access::SignedIn => "any signed-in role".to_owned(),
            Access::Requires(capability) => format!("`{}`", capability.name()),
            Access::Key(scope) => format!("API key with scope `{}`", scope.as_str()),
            Access::UserOrKey(capability, scope) => {
                format!("`{}`, or an API key with scope `{}`", capability.name(), scope.as_str())
            }
        }
    }

    /// The roles that pass, for the route map.
    pub fn roles(self) -> Vec<Role> {
        match self {
            Access::Public | Access::SignedIn => Role::ALL.to_vec(),
            Access::Requires(capability) | Access::UserOrKey(capability, _) => {
                Role::ALL.into_iter().filter(|r| r.allows(capability)).collect()
            }
            Access::Key(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod access_tests {
    use super::*;

    fn key(scopes: &[Scope]) -> Caller {
        Caller::Key(KeyPrincipal { key_id: Uuid::nil(), name: "k".to_owned(), scopes: scopes.to_vec() })
    }

    fn user(role: Role) -> Caller {
        Caller::User(Principal { account_id: Uuid::nil(), email: "a@b.co".to_owned(), role, via: AuthMethod::Session })
    }

    #[test]
    fn keys_need_their_scope_and_only_send_data() {
        let events = Access::Key(Scope::Events);
        assert_eq!(events.check(&key(&[Scope::Events])), Ok(()));
        assert!(matches!(events.check(&key(&[Scope::Catalogue])), Err(Denied::Forbidden(m)) if m.contains("'events'")));
        assert_eq!(events.check(&Caller::Anonymous), Err(Denied::Unauthenticated));
        assert!(matches!(events.check(&user(Role::Admin)), Err(Denied::Forbidden(_))), "a person does not ingest with a session");
        assert!(matches!(Access::SignedIn.check(&key(&Scope::ALL)), Err(Denied::Forbidden(_))));
        assert_eq!(Access::Public.check(&key(&[])), Ok(()));
    }

    #[test]
    fn a_role_without_the_capability_is_told_what_it_lacks() {
        let audit = Access::Requires(Capability::ReadAuditLog);
        assert_eq!(audit.check(&user(Role::Compliance)), Ok(()));
        assert!(matches!(audit.check(&user(Role::Cmo)), Err(Denied::Forbidden(m)) if m.contains("cmo") && m.contains("audit log")));
    }
}
