//! The page shell every page shares: head, header, main landmark.

use leptos::prelude::*;
use leptos::tachys::view::Position;
use todo_api::User;

use crate::assets;

/// A whole HTML document: head, header with the account menu, the page's
/// `main` and a footer. `title` becomes "title · Todo".
pub fn document(title: &str, user: Option<&User>, main: impl IntoView) -> String {
    let full_title = format!("{title} · Todo");
    let sections = user.map(|_| {
        view! {
            <nav class="sections" aria-label="Sections">
                <a href="/tasks">"Tasks"</a>
                <a href="/assistant">"Assistant"</a>
            </nav>
        }
    });
    let account = user.map(|user| {
        let name = user.name.clone();
        view! {
            <nav class="account" aria-label="Account">
                <span class="account-name">
                    <span class="visually-hidden">"Signed in as "</span>
                    {name}
                </span>
                <a class="button button-quiet" href="/account" id="account-link">"Account"</a>
                <form method="post" action="/logout">
                    <button type="submit" class="button button-quiet">"Log out"</button>
                </form>
            </nav>
        }
    });
    let page = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <title>{full_title}</title>
                <link rel="stylesheet" href=assets::css_href() />
                <link rel="icon" type="image/svg+xml" href=assets::ICON_PATH />
            </head>
            <body>
                <a class="skip-link" href="#main">"Skip to main content"</a>
                <header class="site-header">
                    <div class="wrap header-row">
                        <a class="brand" href="/">
                            <img src=assets::ICON_PATH alt="" width="28" height="28" />
                            <span>"Todo"</span>
                        </a>
                        {sections}
                        {account}
                    </div>
                </header>
                <main id="main" class="wrap" tabindex="-1">
                    {main}
                </main>
                <footer class="site-footer">
                    <div class="wrap">"Todo · works without JavaScript"</div>
                </footer>
            </body>
        </html>
    };
    // One buffer, sized once: rendering a page is mostly copying bytes, and
    // growing a String by doubling copies a long page several times over.
    let mut html = String::with_capacity(page.html_len().max(MIN_PAGE_CAPACITY));
    html.push_str("<!DOCTYPE html>");
    page.to_html_with_buf(
        &mut html,
        &mut Position::FirstChild,
        true,
        false,
        Vec::new(),
    );
    html
}

/// Every page's shell (head, header, footer) alone is about 2 KB; a task
/// page with a full list is about 70 KB.
const MIN_PAGE_CAPACITY: usize = 16 * 1024;
