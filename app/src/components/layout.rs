//! The frame around every page: skip link, top bar with the product name and theme toggle,
//! section navigation, and the main landmark.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::SectionId;
use crate::theme::{ThemeToggle, provide_theme};

/// One navigation entry.
struct NavItem {
    href: &'static str,
    label: &'static str,
}

/// The sections of the spec's layout (PART 3), in its order; Health is for the technical roles.
fn nav_items() -> Vec<NavItem> {
    let mut items = vec![NavItem { href: "/", label: "Overview" }];
    items.extend(SectionId::ALL.iter().map(|s| NavItem { href: s.href(), label: s.title() }));
    items.push(NavItem { href: "/system-health", label: "Health" });
    items
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    provide_theme();
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"SwipeSavvy Analytics"</span>
                </a>
                <ThemeToggle/>
            </header>
            <nav class="sidenav" aria-label="Sections">
                <ul>
                    {nav_items()
                        .into_iter()
                        .map(|item| view! { <li><A href=item.href exact=true>{item.label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main id="content" class="content" tabindex="-1">
                {children()}
            </main>
        </div>
    }
}
