//! The Time zone section: the zone due times, "today" and reminders are
//! read in, chosen from the IANA names the backend accepts (grouped by
//! region), the current one selected.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use leptos::prelude::*;

use super::{AccountNotice, Outcome, form_alert, notice_in};
use crate::views::fields::{field_error, invalid};
use crate::zones;

/// `current`: the account's zone; `now`: the wall-clock time in it.
pub fn section(current: &str, now: NaiveDateTime, outcome: &Outcome) -> impl IntoView + use<> {
    let notice = notice_in(outcome, |n| n == AccountNotice::TimeZoneChanged);
    let state = &outcome.time_zone_form;
    let errors = &state.errors;
    let (zone_invalid, error_ref) = invalid("time_zone", errors);
    let described = match error_ref {
        Some(error) => format!("time_zone-hint {error}"),
        None => "time_zone-hint".to_owned(),
    };
    let clock = now.format("%H:%M on %a %-d %b").to_string();
    let machine = now.format("%Y-%m-%dT%H:%M").to_string();
    let zone = current.to_owned();
    view! {
        <section class="card" id="time-zone" aria-labelledby="time-zone-title">
            <h2 id="time-zone-title">"Time zone"</h2>
            <p class="section-intro">
                "Due times, what is due today and when reminders come are read in it. It is "
                <time datetime=machine id="time-zone-now">{clock}</time>
                " in " <strong id="current-time-zone">{zone}</strong> "."
            </p>
            {notice}
            {form_alert(state)}
            <form method="post" action="/account/time-zone#time-zone" class="stack" novalidate>
                <div class="field">
                    <label for="time_zone">"Time zone"</label>
                    <select
                        id="time_zone"
                        name="time_zone"
                        aria-invalid=zone_invalid
                        aria-describedby=described
                    >
                        {options(current)}
                    </select>
                    <p class="field-hint" id="time_zone-hint">
                        "IANA names, grouped by region: a city in your zone, e.g. Europe/Berlin or America/New_York."
                    </p>
                    {field_error("time_zone", errors)}
                </div>
                <div class="actions-row">
                    <button type="submit" class="button button-primary" id="save-time-zone">
                        "Save time zone"
                    </button>
                </div>
            </form>
        </section>
    }
}

/// UTC first, then each region's zones (`America/…`), then the names
/// without a region (`CET`, `Zulu`). A current zone the list lacks (a
/// newer backend's) is offered too, so saving never changes it unasked.
fn options(current: &str) -> impl IntoView + use<> {
    let names = zones::known_names();
    let mut regions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut others: Vec<&str> = Vec::new();
    for name in names {
        match name.split_once('/') {
            Some((region, _)) => regions.entry(region).or_default().push(name),
            None if name == "UTC" => {}
            None => others.push(name),
        }
    }
    let option = |name: &str| {
        let selected = name == current;
        let (value, label) = (name.to_owned(), name.to_owned());
        view! { <option value=value selected=selected>{label}</option> }
    };
    let unknown = (!names.iter().any(|n| n == current)).then(|| option(current));
    let groups = regions
        .into_iter()
        .map(|(region, zones)| {
            let items = zones.into_iter().map(option).collect_view();
            view! { <optgroup label=region.to_owned()>{items}</optgroup> }
        })
        .collect_view();
    let others = others.into_iter().map(option).collect_view();
    view! {
        {unknown}
        {option("UTC")}
        {groups}
        <optgroup label="Other names">{others}</optgroup>
    }
}
