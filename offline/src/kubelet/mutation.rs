//! Deliberately broken copies of the rendered release. The conformance
//! run must reject each one, with the reason the mutation introduces; a
//! run that passed them would prove nothing about the real chart.

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::Container;
use todo_infra::Manifest;

const COMPONENT: &str = "app.kubernetes.io/component";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// The backend's readiness probe asks for a path that does not exist.
    ProbePath,
    /// The backend Service's port moves to 8081; targetPort stays.
    ServicePort,
    /// The backend's first env var read from a ConfigMap or Secret key
    /// names a key that is not there.
    EnvReference,
}

impl Mutation {
    pub const ALL: [Mutation; 3] = [
        Mutation::ProbePath,
        Mutation::ServicePort,
        Mutation::EnvReference,
    ];

    /// Applies this mutation to a copy of `objects`, returning it with a
    /// description of what was changed.
    pub fn apply(self, objects: &[Manifest]) -> anyhow::Result<(Vec<Manifest>, String)> {
        let mut objects = objects.to_vec();
        let change = match self {
            Mutation::ProbePath => {
                let backend = backend_container(&mut objects, "Deployment")?;
                let http = backend
                    .readiness_probe
                    .as_mut()
                    .and_then(|p| p.http_get.as_mut())
                    .context("the backend has no httpGet readiness probe")?;
                let before = http.path.replace("/nope".to_owned());
                format!(
                    "backend readiness probe path {} -> /nope",
                    before.unwrap_or_default()
                )
            }
            Mutation::ServicePort => {
                let service = objects
                    .iter_mut()
                    .find_map(|o| match o {
                        Manifest::Service(s) if is_backend(s.metadata.labels.as_ref()) => Some(s),
                        _ => None,
                    })
                    .context("no backend Service is rendered")?;
                let port = service
                    .spec
                    .as_mut()
                    .and_then(|s| s.ports.as_mut())
                    .and_then(|p| p.first_mut())
                    .context("the backend Service has no port")?;
                let before = std::mem::replace(&mut port.port, 8081);
                format!("backend Service port {before} -> 8081 (targetPort unchanged)")
            }
            Mutation::EnvReference => {
                let backend = backend_container(&mut objects, "Deployment")?;
                let var = backend
                    .env
                    .iter_mut()
                    .flatten()
                    .find(|v| {
                        v.value_from.as_ref().is_some_and(|f| {
                            f.config_map_key_ref.is_some() || f.secret_key_ref.is_some()
                        })
                    })
                    .context("the backend reads no env var from a ConfigMap or Secret key")?;
                let from = var.value_from.as_mut().expect("found with a value_from");
                let (kind, key) = match (&mut from.config_map_key_ref, &mut from.secret_key_ref) {
                    (Some(r), _) => ("configMapKeyRef", &mut r.key),
                    (_, Some(r)) => ("secretKeyRef", &mut r.key),
                    _ => unreachable!("filtered on having one of them"),
                };
                let before = std::mem::replace(key, "no-such-key".to_owned());
                format!(
                    "backend env {} {kind}.key {before} -> no-such-key",
                    var.name
                )
            }
        };
        Ok((objects, change))
    }

    /// Text the conformance run's error must contain for this mutation:
    /// the reason, not merely some failure.
    pub fn expected(self) -> &'static [&'static str] {
        match self {
            Mutation::ProbePath => &["readiness probe", "/nope", "HTTP 404"],
            Mutation::ServicePort => &["port 8081 differs from its targetPort"],
            Mutation::EnvReference => &["couldn't find key no-such-key"],
        }
    }

    /// Whether `error` (the whole chain) is the rejection this mutation
    /// must cause.
    pub fn check(self, error: &anyhow::Error) -> anyhow::Result<String> {
        let text = format!("{error:#}");
        let missing: Vec<&&str> = self
            .expected()
            .iter()
            .filter(|e| !text.contains(**e))
            .collect();
        if !missing.is_empty() {
            bail!("{self:?} was rejected for another reason (expected {missing:?}): {text}");
        }
        Ok(text)
    }
}

fn is_backend(labels: Option<&std::collections::BTreeMap<String, String>>) -> bool {
    labels.and_then(|l| l.get(COMPONENT)).map(String::as_str) == Some("backend")
}

fn backend_container<'a>(
    objects: &'a mut [Manifest],
    kind: &str,
) -> anyhow::Result<&'a mut Container> {
    for object in objects.iter_mut() {
        if object.kind() != kind || !is_backend(object.metadata().labels.as_ref()) {
            continue;
        }
        if let Manifest::Deployment(d) = object {
            return d
                .spec
                .as_mut()
                .and_then(|s| s.template.spec.as_mut())
                .and_then(|s| s.containers.first_mut())
                .context("the backend Deployment has no container");
        }
    }
    bail!("no backend {kind} is rendered")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::wiring::{self, tests::release};

    fn backend(objects: &[Manifest]) -> &Manifest {
        objects
            .iter()
            .find(|o| o.id() == "Deployment/backend")
            .unwrap()
    }

    /// The test release with `app.kubernetes.io/component` on its
    /// objects' own metadata, as the chart renders it.
    fn labelled() -> Vec<Manifest> {
        let mut objects = release();
        for object in &mut objects {
            let component = match object.id().as_str() {
                "Service/backend" | "Deployment/backend" => "backend",
                _ => "other",
            };
            object
                .metadata_mut()
                .labels
                .get_or_insert_default()
                .insert(COMPONENT.to_owned(), component.to_owned());
        }
        objects
    }

    #[test]
    fn probe_path_changes_only_the_readiness_path() {
        let objects = labelled();
        let (mutated, change) = Mutation::ProbePath.apply(&objects).unwrap();
        assert_eq!(change, "backend readiness probe path /ready -> /nope");
        let container = wiring::only_container(backend(&mutated)).unwrap();
        let path = container
            .readiness_probe
            .as_ref()
            .unwrap()
            .http_get
            .as_ref();
        assert_eq!(path.unwrap().path.as_deref(), Some("/nope"));
        // Everything else is untouched.
        assert_eq!(mutated.len(), objects.len());
        assert_eq!(mutated[0], objects[0]);
    }

    #[test]
    fn service_port_breaks_the_port_check() {
        let (mutated, change) = Mutation::ServicePort.apply(&labelled()).unwrap();
        assert_eq!(
            change,
            "backend Service port 8080 -> 8081 (targetPort unchanged)"
        );
        let error = wiring::bindings(&mutated).unwrap_err();
        Mutation::ServicePort.check(&error).unwrap();
    }

    #[test]
    fn env_reference_breaks_env_resolution() {
        let (mutated, change) = Mutation::EnvReference.apply(&labelled()).unwrap();
        assert_eq!(
            change,
            "backend env DATABASE_PASSWORD secretKeyRef.key postgres-password -> no-such-key"
        );
        let object = backend(&mutated);
        let error = wiring::environment(&mutated, object, wiring::only_container(object).unwrap())
            .unwrap_err();
        Mutation::EnvReference.check(&error).unwrap();
        // The unmutated release resolves.
        let objects = labelled();
        let object = backend(&objects);
        wiring::environment(&objects, object, wiring::only_container(object).unwrap()).unwrap();
    }

    #[test]
    fn a_rejection_for_another_reason_does_not_count() {
        let error = anyhow::anyhow!("Deployment/backend: not ready after 90s");
        for mutation in Mutation::ALL {
            assert!(mutation.check(&error).is_err(), "{mutation:?}");
        }
    }

    #[test]
    fn a_release_without_a_backend_cannot_be_mutated() {
        let error = Mutation::ServicePort.apply(&release()).unwrap_err();
        assert_eq!(error.to_string(), "no backend Service is rendered");
    }
}
