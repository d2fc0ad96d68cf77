//! Who is signed in. The server knows it when it renders a page and hands it to the browser
//! inside that page, so nothing waits on a request for it.
//!
//! Why not a `Resource`: one resource read under two `<Suspense>` boundaries (the top bar and the
//! navigation) now and then left a server-rendered page hanging mid-body (leptos issue #4851).
//! The caller is known synchronously on the server, so a shared value is both simpler and safe.

use leptos::prelude::*;

use crate::access::Me;

#[derive(Clone)]
struct SignedIn(Option<Me>);

/// Makes the signed-in person available to every component below (call once, in the layout).
pub fn provide_signed_in() {
    let me = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            crate::backend::caller().principal().map(Me::of)
        }
        // In the browser the value comes from the server-rendered page during hydration; the
        // layout is only ever built while hydrating (signing in and out reload the page).
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
    .into_inner();
    provide_context(SignedIn(me));
}

/// The signed-in person, if any.
pub fn signed_in() -> Option<Me> {
    use_context::<SignedIn>().and_then(|signed_in| signed_in.0)
}
