//! Request extractors whose rejections are pages, not axum's plain text.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::PageError;
use crate::forms::FORM_MAX_BYTES;

/// A urlencoded form body, like `axum::Form`, whose rejections are pages
/// (413 over [`FORM_MAX_BYTES`], 400 otherwise) rather than plain text.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, PageError> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(form)) => Ok(PageForm(form)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(PageError::FormTooLarge {
                    limit: FORM_MAX_BYTES,
                })
            }
            Err(rejection) => Err(PageError::BadRequest(rejection.body_text())),
        }
    }
}
