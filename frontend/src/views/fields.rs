//! Form controls with their label, hint and error bound together, so every
//! input is labelled and its error is announced with it.

use leptos::prelude::*;

use crate::forms::FieldErrors;

/// `id` of the element holding the error of field `name`.
fn error_id(name: &str) -> String {
    format!("{name}-error")
}

/// The error message under a field, when there is one.
pub fn field_error(name: &'static str, errors: &FieldErrors) -> impl IntoView + use<> {
    errors.get(name).map(|message| {
        let message = capitalise(message);
        view! {
            <p class="field-error" id=error_id(name)>
                <span class="visually-hidden">"Error: "</span>
                {message}
            </p>
        }
    })
}

/// `aria-invalid` / `aria-describedby` for a field with an error.
pub fn invalid(name: &str, errors: &FieldErrors) -> (Option<&'static str>, Option<String>) {
    if errors.contains_key(name) {
        (Some("true"), Some(error_id(name)))
    } else {
        (None, None)
    }
}

#[derive(Debug)]
pub struct Input<'a> {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: &'a str,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
    pub maxlength: Option<usize>,
    pub hint: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn text(name: &'static str, label: &'static str, value: &'a str) -> Self {
        Input {
            name,
            label,
            kind: "text",
            value,
            required: false,
            autocomplete: None,
            maxlength: None,
            hint: None,
        }
    }

    pub fn kind(self, kind: &'static str) -> Self {
        Input { kind, ..self }
    }

    pub fn required(self) -> Self {
        Input {
            required: true,
            ..self
        }
    }

    pub fn autocomplete(self, autocomplete: &'static str) -> Self {
        Input {
            autocomplete: Some(autocomplete),
            ..self
        }
    }

    pub fn maxlength(self, maxlength: usize) -> Self {
        Input {
            maxlength: Some(maxlength),
            ..self
        }
    }

    pub fn hint(self, hint: &'a str) -> Self {
        Input {
            hint: Some(hint),
            ..self
        }
    }

    pub fn render(self, errors: &FieldErrors) -> impl IntoView + use<> {
        let (aria_invalid, error_ref) = invalid(self.name, errors);
        let hint_id = self.hint.map(|_| format!("{}-hint", self.name));
        let described_by = match (&hint_id, error_ref) {
            (Some(h), Some(e)) => Some(format!("{h} {e}")),
            (Some(h), None) => Some(h.clone()),
            (None, e) => e,
        };
        let hint = self.hint.map(|text| {
            let text = text.to_owned();
            view! { <p class="field-hint" id=hint_id.clone()>{text}</p> }
        });
        let value = self.value.to_owned();
        // Passwords are never sent back to the browser.
        let value = (self.kind != "password").then_some(value);
        view! {
            <div class="field">
                <label for=self.name>{self.label}</label>
                <input
                    type=self.kind
                    id=self.name
                    name=self.name
                    value=value
                    required=self.required
                    autocomplete=self.autocomplete
                    maxlength=self.maxlength
                    aria-invalid=aria_invalid
                    aria-describedby=described_by
                />
                {hint}
                {field_error(self.name, errors)}
            </div>
        }
    }
}

/// The backend's messages start lower-case ("must not be empty"); shown
/// alone under a field they read better capitalised.
pub fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A backend message shown on its own above a form ("this account has
/// 50 personal access tokens; revoke one…"): capitalised, and ended like
/// a sentence.
pub fn sentence(message: &str) -> String {
    let mut sentence = capitalise(message.trim_end());
    if !sentence.ends_with(['.', '!', '?']) {
        sentence.push('.');
    }
    sentence
}

/// Text for inside a `<textarea>`. Leptos (tachys 0.2) deliberately writes
/// `textarea` children unescaped, as it does for `script` and `style`, so a
/// description containing `</textarea>` would end the element early and
/// let markup through. Escaping here keeps user text as text.
pub fn textarea_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textarea_text_cannot_close_the_textarea() {
        assert_eq!(
            textarea_text("a & b</textarea><script>x</script>"),
            "a &amp; b&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;"
        );
    }
}
