//! A reminder's e-mail: plain text in UTF-8, its subject and body saying
//! when the task is due on the owner's wall clock, and a Message-ID made
//! from the delivery's id, so that a message sent twice (see the module's
//! "Never twice") is one message to the system that receives it.

use chrono::{NaiveDate, NaiveDateTime};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use uuid::Uuid;

/// What one reminder says, as read just before sending it.
#[derive(Debug, Clone)]
pub(crate) struct Reminder<'a> {
    pub delivery: Uuid,
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// The owner's name, and the address it goes to.
    pub name: &'a str,
    pub email: &'a str,
    /// When the task is due, on the owner's wall clock, and the zone's name.
    pub due: NaiveDateTime,
    pub zone: &'a str,
    pub minutes_before: u32,
    /// The owner's date when the reminder fired: a reminder on the due
    /// day says only the time.
    pub today: NaiveDate,
}

/// RFC 3834: a message sent by a program, not a person; auto-responders
/// (vacation notices) do not answer it.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

impl Reminder<'_> {
    /// The message, from `from`; an error when the owner's address is one
    /// the SMTP envelope cannot carry (it never will: a permanent failure).
    pub fn message(&self, from: &Mailbox) -> Result<Message, String> {
        let address = self
            .email
            .parse()
            .map_err(|_| "the owner's e-mail address cannot be used as a recipient".to_owned())?;
        let name = one_line(self.name, 100);
        let to = Mailbox::new((!name.is_empty()).then_some(name), address);
        let builder: MessageBuilder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject())
            .message_id(Some(message_id(self.delivery, from)))
            .raw_header(HeaderValue::new(
                AUTO_SUBMITTED,
                "auto-generated".to_owned(),
            ))
            .header(ContentType::TEXT_PLAIN);
        builder
            .body(self.body())
            .map_err(|e| format!("the message could not be built: {e}"))
    }

    /// `Reminder: <title> — due 09:00 (Europe/Berlin)`, with the day when
    /// it is not the day the reminder comes.
    pub fn subject(&self) -> String {
        let day = self.due.date();
        let when = if day == self.today {
            self.due.format("%H:%M").to_string()
        } else if Some(day) == self.today.succ_opt() {
            self.due.format("tomorrow %H:%M").to_string()
        } else {
            self.due.format("%a %-d %b %H:%M").to_string()
        };
        format!(
            "Reminder: {} — due {when} ({})",
            one_line(self.title, 120),
            self.zone
        )
    }

    pub fn body(&self) -> String {
        let mut body = format!(
            "Hello {},\n\nthis is a reminder of your task:\n\n    {}\n\nDue:      {} ({})\nReminder: {}\n",
            one_line(self.name, 100),
            one_line(self.title, 200),
            self.due.format("%A, %-d %B %Y, %H:%M"),
            self.zone,
            lead_in_words(self.minutes_before),
        );
        if let Some(description) = self.description.filter(|d| !d.trim().is_empty()) {
            body.push('\n');
            body.push_str(description.trim_end());
            body.push('\n');
        }
        body.push_str(
            "\n--\nYou get this e-mail because the task has a reminder. Complete the task, \
             or remove its reminders, and no more come.\n",
        );
        body
    }
}

/// The Message-ID of a delivery's e-mail: the same whoever sends it, and
/// however often. Its domain is the sender's.
pub(crate) fn message_id(delivery: Uuid, from: &Mailbox) -> String {
    format!("<reminder-{}@{}>", delivery.simple(), from.email.domain())
}

/// `text` on one line (line breaks and other control characters become
/// spaces), at most `max` characters: a header may not break, and a
/// subject is read at a glance.
fn one_line(text: &str, max: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// `at the due time`, `90 minutes before`, `2 hours before`, `1 day before`.
fn lead_in_words(minutes: u32) -> String {
    let plural = |n: u32, unit: &str| {
        if n == 1 {
            format!("1 {unit} before")
        } else {
            format!("{n} {unit}s before")
        }
    };
    match minutes {
        0 => "at the due time".to_owned(),
        m if m % (24 * 60) == 0 => plural(m / (24 * 60), "day"),
        m if m % 60 == 0 => plural(m / 60, "hour"),
        m => plural(m, "minute"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder<'a>(due: &str, today: &str) -> Reminder<'a> {
        Reminder {
            delivery: Uuid::from_u128(0xabc),
            title: "Dentist\r\nBcc: someone@example.com",
            description: Some("Bring the card.\n"),
            name: "Ada Lovelace",
            email: "ada@example.com",
            due: NaiveDateTime::parse_from_str(due, "%Y-%m-%d %H:%M").unwrap(),
            zone: "Europe/Berlin",
            minutes_before: 60,
            today: today.parse().unwrap(),
        }
    }

    fn from() -> Mailbox {
        "Todo <todo@example.com>".parse().unwrap()
    }

    #[test]
    fn the_subject_says_when_on_the_owners_clock() {
        assert_eq!(
            reminder("2027-03-29 09:00", "2027-03-29").subject(),
            "Reminder: Dentist Bcc: someone@example.com — due 09:00 (Europe/Berlin)"
        );
        assert!(
            reminder("2027-03-30 09:00", "2027-03-29")
                .subject()
                .ends_with("— due tomorrow 09:00 (Europe/Berlin)")
        );
        assert!(
            reminder("2027-04-02 09:00", "2027-03-29")
                .subject()
                .ends_with("— due Fri 2 Apr 09:00 (Europe/Berlin)")
        );
        let long = "x".repeat(200);
        let subject = Reminder {
            title: &long,
            ..reminder("2027-03-29 09:00", "2027-03-29")
        }
        .subject();
        assert!(
            subject.contains(&format!("{}…", "x".repeat(119))),
            "{subject}"
        );
    }

    #[test]
    fn the_message_is_one_plain_text_mail_to_the_owner_with_a_stable_id() {
        let reminder = reminder("2027-03-29 09:00", "2027-03-29");
        let text = String::from_utf8(reminder.message(&from()).unwrap().formatted()).unwrap();
        let id = "<reminder-00000000000000000000000000000abc@example.com>";
        assert!(text.contains(&format!("Message-ID: {id}")), "{text}");
        assert!(
            text.contains("To: \"Ada Lovelace\" <ada@example.com>"),
            "{text}"
        );
        assert!(text.contains("From: Todo <todo@example.com>"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        // The title's line break did not become a header of its own.
        assert!(!text.contains("\r\nBcc:"), "{text}");
        let envelope = reminder.message(&from()).unwrap();
        assert_eq!(envelope.envelope().to().len(), 1);
        assert_eq!(message_id(Uuid::from_u128(0xabc), &from()), id);
    }

    #[test]
    fn the_body_names_the_task_its_due_time_and_the_lead() {
        let body = reminder("2027-03-29 09:00", "2027-03-29").body();
        assert!(body.starts_with("Hello Ada Lovelace,"), "{body}");
        assert!(
            body.contains("Due:      Monday, 29 March 2027, 09:00 (Europe/Berlin)"),
            "{body}"
        );
        assert!(body.contains("Reminder: 1 hour before"), "{body}");
        assert!(body.contains("\nBring the card.\n"), "{body}");
    }

    #[test]
    fn an_address_that_cannot_be_a_recipient_is_refused() {
        let bad = Reminder {
            email: "not an address",
            ..reminder("2027-03-29 09:00", "2027-03-29")
        };
        assert!(bad.message(&from()).is_err());
    }

    #[test]
    fn leads_read_as_words() {
        assert_eq!(lead_in_words(0), "at the due time");
        assert_eq!(lead_in_words(1), "1 minute before");
        assert_eq!(lead_in_words(90), "90 minutes before");
        assert_eq!(lead_in_words(120), "2 hours before");
        assert_eq!(lead_in_words(1440), "1 day before");
        assert_eq!(lead_in_words(40320), "28 days before");
    }
}
