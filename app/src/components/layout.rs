//! The frame around every page: skip link, top bar with the product name, the signed-in person
//! and the theme toggle, the section navigation (only what the role may open), and the main
//! landmark.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::access::{Capability, Me, Module};
use crate::pages::SectionId;
use crate::session::{provide_signed_in, signed_in};
use crate::theme::{ThemeToggle, provide_theme};

/// One navigation entry and what the role needs to open it.
struct NavItem {
    href: &'static str,
    label: &'static str,
    requires: Capability,
    /// Whether the link carries the page's global filters.
    keeps_filters: bool,
}

/// The sections of the spec's layout (PART 3), in its order; Health is for the technical roles.
fn nav_items() -> Vec<NavItem> {
    let mut items = vec![NavItem { href: "/", label: "Overview", requires: Capability::View(Module::KpiCards), keeps_filters: true }];
    items.extend(SectionId::ALL.iter().map(|s| NavItem { href: s.href(), label: s.title(), requires: s.requires(), keeps_filters: s.keeps_filters() }));
    items.push(NavItem { href: "/experiments", label: "Experiments", requires: Capability::View(Module::Creatives), keeps_filters: false });
    items.push(NavItem { href: "/system-health", label: "Health", requires: Capability::View(Module::SystemHealth), keeps_filters: false });
    items.push(NavItem { href: "/admin", label: "Admin", requires: Capability::ManageUsers, keeps_filters: false });
    items
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    provide_theme();
    provide_signed_in();
    let me = signed_in();
    let filters = crate::components::filter_bar::use_filters();
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"SwipeSavvy Analytics"</span>
                </a>
                <div class="topbar__end">
                    {me.clone().map(|me| view! { <UserMenu me/> })}
                    <ThemeToggle/>
                </div>
            </header>
            <nav class="sidenav" aria-label="Sections">
                {me.map(|me| {
                    view! {
                        <ul>
                            {nav_items()
                                .into_iter()
                                .filter(|item| me.can(item.requires))
                                .map(|item| {
                                    // The dashboard sections keep the global filters, so the view
                                    // moves with the reader; the other pages start clean.
                                    let href = item.href;
                                    let keeps = item.keeps_filters;
                                    let link = move || if keeps { filters.with(|f| f.href(href)) } else { href.to_owned() };
                                    view! { <li><A href=link exact=true>{item.label}</A></li> }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            </nav>
            <main id="content" class="content" tabindex="-1">
                {signed_in().map(|_| view! { <crate::visits::VisitTracker/> })}
                {children()}
            </main>
        </div>
    }
}

/// Who is signed in, a link to their account page, and signing out (a plain form post, so it
/// works before the page has hydrated).
#[component]
fn UserMenu(me: Me) -> impl IntoView {
    view! {
        <div class="user-menu">
            <a class="user-menu__who" href="/account" title=me.role_title.clone()>
                <span class="user-menu__email">{me.email.clone()}</span>
                <span class="user-menu__role">{me.role_title.clone()}</span>
            </a>
            <form method="post" action="/api/v1/auth/logout">
                <button type="submit" class="button button--quiet">"Sign out"</button>
            </form>
        </div>
    }
}
