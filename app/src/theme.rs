//! Light and dark themes: the choice persists in a cookie so the server renders the right theme
//! on the first paint; without a choice the browser's preference applies (CSS media query).

use leptos::prelude::*;

/// The cookie that remembers the reader's explicit choice.
pub const THEME_COOKIE: &str = "ss_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn other(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme named by a `Cookie` header value, if any.
pub fn theme_from_cookie_header(header: &str) -> Option<Theme> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == THEME_COOKIE)
        .and_then(|(_, value)| Theme::parse(value.trim()))
}

/// The explicit choice carried by the request being rendered (server only; `None` in the browser).
pub fn theme_from_request() -> Option<Theme> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(theme_from_cookie_header)
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The theme in effect, as a signal every chart and the toggle read.
#[derive(Clone, Copy)]
pub struct ThemeState(pub RwSignal<Theme>);

/// Provides [`ThemeState`]; call once, high in the tree.
pub fn provide_theme() -> ThemeState {
    // The server reads the cookie; the browser reads what the server put on <html>. Both start
    // from the same explicit choice, so hydration sees the same markup.
    #[cfg(feature = "hydrate")]
    let explicit = browser::explicit_theme();
    #[cfg(not(feature = "hydrate"))]
    let explicit = theme_from_request();
    let state = ThemeState(RwSignal::new(explicit.unwrap_or(Theme::Light)));
    provide_context(state);
    #[cfg(feature = "hydrate")]
    {
        // After hydration, learn what the page actually shows: the explicit choice on <html>,
        // or else the system preference.
        Effect::new(move |_| state.0.set(browser::effective_theme()));
    }
    state
}

/// A button that flips the theme in place (no reload) and remembers the choice.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let state = use_context::<ThemeState>().unwrap_or_else(provide_theme);
    let is_dark = move || state.0.get() == Theme::Dark;
    let flip = move |_| {
        let next = state.0.get_untracked().other();
        state.0.set(next);
        #[cfg(feature = "hydrate")]
        browser::apply(next);
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            aria-pressed=move || if is_dark() { "true" } else { "false" }
            title="Switch between light and dark theme"
            on:click=flip
        >
            <span aria-hidden="true">{move || if is_dark() { "☾" } else { "☀" }}</span>
            <span class="theme-toggle__label">"Dark mode"</span>
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{THEME_COOKIE, Theme};
    use wasm_bindgen::JsCast;

    /// The choice the server rendered onto `<html data-theme>`, if any.
    pub fn explicit_theme() -> Option<Theme> {
        web_sys::window()?
            .document()?
            .document_element()?
            .get_attribute("data-theme")
            .and_then(|value| Theme::parse(&value))
    }

    pub fn effective_theme() -> Theme {
        let Some(window) = web_sys::window() else { return Theme::Light };
        explicit_theme().unwrap_or_else(|| {
            let prefers_dark = window
                .match_media("(prefers-color-scheme: dark)")
                .ok()
                .flatten()
                .is_some_and(|query| query.matches());
            if prefers_dark { Theme::Dark } else { Theme::Light }
        })
    }

    pub fn apply(theme: Theme) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
        if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
            // One year; Lax is enough for a display preference.
            let cookie = format!("{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", theme.as_str());
            let _ = html.set_cookie(&cookie);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_theme_among_other_cookies() {
        assert_eq!(theme_from_cookie_header("a=1; ss_theme=dark; b=2"), Some(Theme::Dark));
        assert_eq!(theme_from_cookie_header("ss_theme=light"), Some(Theme::Light));
    }

    #[test]
    fn ignores_unknown_or_missing_values() {
        assert_eq!(theme_from_cookie_header("ss_theme=purple"), None);
        assert_eq!(theme_from_cookie_header("other=dark"), None);
        assert_eq!(theme_from_cookie_header(""), None);
    }
}
