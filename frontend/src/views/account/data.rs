//! The "Your data" section: a link that downloads everything the account
//! holds as one JSON document, and a form (a file, no JavaScript) that
//! adds such a document's tasks and conversations to the account.

use leptos::prelude::*;

use super::{AccountNotice, Outcome, form_alert, notice_in};

pub fn section(outcome: &Outcome) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| matches!(n, AccountNotice::Imported { .. }));
    let alert = form_alert(&outcome.import_form);
    view! {
        <section class="card" id="data" aria-labelledby="data-title">
            <h2 id="data-title">"Your data"</h2>
            <p class="section-intro">
                "Download your tasks and conversations as one JSON file, or add those of such a file to this account (nothing here is replaced; a file that does not fit is not imported at all)."
            </p>
            {notice}
            {alert}
            <p>
                <a class="button" href="/account/export" id="export-link">"Export my data"</a>
            </p>
            <form method="post" action="/account/import#data" enctype="multipart/form-data">
                <div class="field">
                    <label for="import-file">"Export file to import"</label>
                    <input
                        type="file"
                        id="import-file"
                        name="file"
                        accept="application/json,.json"
                        required
                    />
                </div>
                <button type="submit" class="button button-primary" id="import-data">"Import"</button>
            </form>
        </section>
    }
}
