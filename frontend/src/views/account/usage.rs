//! The Usage section: what the account holds against its quotas, so a
//! refused "add" (409) is no surprise and says what to delete.

use leptos::prelude::*;
use todo_api::{Allowance, Usage};

pub fn section(usage: &Usage) -> impl IntoView + use<> {
    let tasks = allowance(usage.tasks);
    let conversations = allowance(usage.conversations);
    let messages = format!("Up to {}", grouped(usage.messages_per_conversation));
    let tags = format!("Up to {}", grouped(usage.tags_per_task));
    view! {
        <section class="card" id="usage" aria-labelledby="usage-title">
            <h2 id="usage-title">"Usage"</h2>
            <p class="section-intro">
                "What this account holds, and how much it may hold. At a limit, delete something to add more."
            </p>
            <dl class="facts">
                <div id="usage-tasks">
                    <dt>"Tasks"</dt>
                    <dd>{tasks}</dd>
                </div>
                <div id="usage-conversations">
                    <dt>"Conversations"</dt>
                    <dd>{conversations}</dd>
                </div>
                <div id="usage-messages">
                    <dt>"Messages per conversation"</dt>
                    <dd>{messages}</dd>
                </div>
                <div id="usage-tags">
                    <dt>"Tags per task"</dt>
                    <dd>{tags}</dd>
                </div>
            </dl>
        </section>
    }
}

/// "12 of 10,000".
fn allowance(allowance: Allowance) -> String {
    format!(
        "{} of {}",
        grouped(allowance.used),
        grouped(allowance.limit)
    )
}

/// A count with its thousands grouped: 10000 → "10,000".
fn grouped(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [
            (0, "0"),
            (12, "12"),
            (999, "999"),
            (1_000, "1,000"),
            (10_000, "10,000"),
            (1_234_567, "1,234,567"),
        ];
        for (count, shown) in cases {
            assert_eq!(grouped(count), shown);
        }
    }
}
