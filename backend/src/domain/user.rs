//! Accounts: email, name, password, sign-up and login requests as valid values.

use serde_json::{Map, Value};
use todo_api::limits::{EMAIL_MAX_CHARS, NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

use super::fields::{FieldErrors, JsonFields, Member};
use super::schedule::TimeZoneName;

/// An email address, trimmed and lower-cased, so uniqueness is
/// case-insensitive by construction. At most 254 characters as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > EMAIL_MAX_CHARS {
            return Err(format!("must be at most {EMAIL_MAX_CHARS} characters"));
        }
        let email = raw.trim().to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an email address like name@example.com".into());
        };
        let domain_ok = !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let odd_character = email.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || !domain_ok || odd_character {
            return Err("must be an email address like name@example.com".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: trimmed, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 {
            Err("must not be empty".into())
        } else if chars > NAME_MAX_CHARS {
            Err(format!("must be at most {NAME_MAX_CHARS} characters"))
        } else if name.chars().any(char::is_control) {
            Err("must not contain control characters".into())
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–128 characters, taken exactly as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            Err(format!("must be at least {PASSWORD_MIN_CHARS} characters"))
        } else if chars > PASSWORD_MAX_CHARS {
            Err(format!("must be at most {PASSWORD_MAX_CHARS} characters"))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A valid sign-up request.
#[derive(Debug, Clone)]
pub struct Signup {
    pub email: Email,
    pub password: Password,
    pub name: UserName,
    pub time_zone: TimeZoneName,
}

impl Signup {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let email = fields.required_string("email");
        let password = fields.required_string("password");
        let name = fields.required_string("name");
        let time_zone = fields.string("time_zone", true);
        let mut errors = fields.finish();
        let email = email.and_then(|e| errors.check("email", Email::parse(&e)));
        let password = password.and_then(|p| errors.check("password", Password::parse(&p)));
        let name = name.and_then(|n| errors.check("name", UserName::parse(&n)));
        let time_zone = match time_zone {
            Member::Value(zone) => errors.check("time_zone", TimeZoneName::parse(&zone)),
            _ => Some(TimeZoneName::utc()),
        };
        match (email, password, name, time_zone) {
            (Some(email), Some(password), Some(name), Some(time_zone)) if errors.is_empty() => {
                Ok(Self {
                    email,
                    password,
                    name,
                    time_zone,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A change to the account's profile (`PATCH /api/auth/me`); at least
/// one field.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileChange {
    pub name: Option<UserName>,
    pub time_zone: Option<TimeZoneName>,
}

impl ProfileChange {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let name = fields.string("name", false);
        let time_zone = fields.string("time_zone", false);
        let mut errors = fields.finish();
        let name = match name {
            Member::Value(n) => errors.check("name", UserName::parse(&n)),
            _ => None,
        };
        let time_zone = match time_zone {
            Member::Value(zone) => errors.check("time_zone", TimeZoneName::parse(&zone)),
            _ => None,
        };
        if errors.is_empty() && name.is_none() && time_zone.is_none() {
            errors.add("name", "give name or time_zone");
        }
        errors.finish(|| Self { name, time_zone })
    }
}

/// A login attempt. The email is only normalised, never judged, so a
/// malformed address is simply one that matches no account.
#[derive(Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let email = fields.required_string("email");
        let password = fields.required_string("password");
        let mut errors = fields.finish();
        if password.as_deref() == Some("") {
            errors.add("password", "must not be empty");
        }
        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(Self {
                email: email.trim().to_lowercase(),
                password,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_case_folded_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a da@x.io",
            "a@b@c.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        let password = Password::parse("correct horse").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
