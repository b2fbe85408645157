//! Account changes as valid values: a password change, an account
//! deletion, a new personal access token.

use serde_json::{Map, Value};
use todo_api::Scope;
use todo_api::limits::TOKEN_EXPIRY_MAX_DAYS;

use super::fields::{FieldErrors, JsonFields};
use super::scopes::Scopes;
use super::user::{Password, UserName};

/// `POST /api/auth/password`: the current password (checked against the
/// stored hash by the route) and a valid new one.
#[derive(Debug)]
pub struct PasswordChange {
    pub current: String,
    pub new: Password,
}

impl PasswordChange {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let current = fields.required_string("current_password");
        let new = fields.required_string("new_password");
        let mut errors = fields.finish();
        let new = new.and_then(|p| errors.check("new_password", Password::parse(&p)));
        if current.as_deref() == Some("") {
            errors.add("current_password", "must not be empty");
        }
        match (current, new) {
            (Some(current), Some(new)) if errors.is_empty() => Ok(Self { current, new }),
            _ => Err(errors),
        }
    }
}

/// `DELETE /api/auth/me`: the password, to confirm.
pub struct AccountDeletion {
    pub password: String,
}

impl std::fmt::Debug for AccountDeletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountDeletion(<password redacted>)")
    }
}

impl AccountDeletion {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let password = fields.required_string("password");
        let mut errors = fields.finish();
        if password.as_deref() == Some("") {
            errors.add("password", "must not be empty");
        }
        match password {
            Some(password) if errors.is_empty() => Ok(Self { password }),
            _ => Err(errors),
        }
    }
}

/// `POST /api/auth/tokens`: a name (a display name's rules), a scope
/// (`tasks:read`, or `tasks:read tasks:write`, exactly so) and a lifetime.
#[derive(Debug)]
pub struct NewPersonalToken {
    pub name: UserName,
    pub scopes: Scopes,
    pub expires_in_days: u32,
}

/// The two scopes a personal access token may have, as written.
pub fn token_scope(raw: &str) -> Result<Scopes, String> {
    let read = Scope::TasksRead.as_str();
    let write = Scope::TasksWrite.as_str();
    if raw == read {
        Ok(Scopes {
            read: true,
            write: false,
        })
    } else if raw == format!("{read} {write}") {
        Ok(Scopes::ALL)
    } else {
        Err(format!("must be \"{read}\" or \"{read} {write}\""))
    }
}

impl NewPersonalToken {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let name = fields.required_string("name");
        let scope = fields.required_string("scope");
        let days = fields.required_integer("expires_in_days", 1..=u64::from(TOKEN_EXPIRY_MAX_DAYS));
        let mut errors = fields.finish();
        let name = name.and_then(|n| errors.check("name", UserName::parse(&n)));
        let scopes = scope.and_then(|s| errors.check("scope", token_scope(&s)));
        match (name, scopes, days) {
            (Some(name), Some(scopes), Some(days)) if errors.is_empty() => Ok(Self {
                name,
                scopes,
                expires_in_days: days as u32,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_token_request_names_every_bad_field() {
        let errors = NewPersonalToken::parse(object(json!({
            "name": " ", "scope": "tasks:write", "expires_in_days": 366, "colour": "red"
        })))
        .unwrap_err()
        .into_map();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["colour", "expires_in_days", "name", "scope"]);
        let ok = NewPersonalToken::parse(object(json!({
            "name": "kubectl-ai", "scope": "tasks:read", "expires_in_days": 30
        })))
        .unwrap();
        assert!(ok.scopes.read && !ok.scopes.write);
        assert_eq!(ok.expires_in_days, 30);
    }

    #[test]
    fn only_the_two_scopes_are_accepted_exactly() {
        assert_eq!(token_scope("tasks:read tasks:write"), Ok(Scopes::ALL));
        for bad in [
            "",
            "tasks:write",
            "tasks:write tasks:read",
            " tasks:read",
            "admin",
        ] {
            assert!(token_scope(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_change_needs_a_valid_new_password() {
        let errors = PasswordChange::parse(object(json!({
            "current_password": "", "new_password": "short"
        })))
        .unwrap_err()
        .into_map();
        assert!(errors.contains_key("current_password") && errors.contains_key("new_password"));
    }
}
