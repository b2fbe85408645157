//! Rules for references from a Pod to the objects it reads: environment
//! variables, `$(VAR)` expansions and volumes must all resolve.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::PodSpec;

use super::index::Index;
use super::{PolicyOptions, Report};
use crate::manifest::Manifest;

pub(super) fn reference_rules(
    object: &Manifest,
    spec: &PodSpec,
    options: &PolicyOptions,
    index: &Index,
    report: &mut Report,
) {
    let id = object.id();
    let namespace = object.namespace();
    let external = |name: &str| options.external_secrets.contains(name);
    for container in spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
    {
        let subject = format!("{id} container {}", container.name);
        // Names defined so far, for `$(VAR)` expansion (which only sees earlier variables).
        let mut defined: BTreeSet<String> = BTreeSet::new();
        for source in container.env_from.iter().flatten() {
            if let Some(config_map) = &source.config_map_ref {
                let found = index.config_map_keys(&config_map.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    found.is_some() || config_map.optional == Some(true),
                    || format!("envFrom ConfigMap {:?} is not rendered", config_map.name),
                );
                defined.extend(found.unwrap_or_default());
            }
            if let Some(secret) = &source.secret_ref {
                let found = index.secret_keys(&secret.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    found.is_some() || external(&secret.name) || secret.optional == Some(true),
                    || {
                        format!(
                            "envFrom Secret {:?} is neither rendered nor declared as existing",
                            secret.name
                        )
                    },
                );
                defined.extend(found.unwrap_or_default());
            }
        }
        for var in container.env.iter().flatten() {
            if let Some(value) = &var.value {
                for reference in expansions(value) {
                    report.check(
                        "env references resolve",
                        &subject,
                        defined.contains(reference),
                        || {
                            format!(
                                "{} refers to $({reference}), which is not defined before it",
                                var.name
                            )
                        },
                    );
                }
            }
            let from = var.value_from.as_ref();
            if let Some(key_ref) = from.and_then(|f| f.config_map_key_ref.as_ref()) {
                let keys = index.config_map_keys(&key_ref.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    keys.as_ref().is_some_and(|k| k.contains(&key_ref.key))
                        || key_ref.optional == Some(true),
                    || {
                        format!(
                            "{} reads key {:?} of ConfigMap {:?}, which is not rendered",
                            var.name, key_ref.key, key_ref.name
                        )
                    },
                );
            }
            if let Some(key_ref) = from.and_then(|f| f.secret_key_ref.as_ref()) {
                let keys = index.secret_keys(&key_ref.name, namespace);
                let ok = match keys {
                    Some(keys) => keys.contains(&key_ref.key),
                    None => external(&key_ref.name),
                };
                report.check("env references resolve", &subject, ok || key_ref.optional == Some(true), || {
                    format!("{} reads key {:?} of Secret {:?}, which is neither rendered nor declared as existing", var.name, key_ref.key, key_ref.name)
                });
            }
            defined.insert(var.name.clone());
        }
        for arg in container
            .command
            .iter()
            .flatten()
            .chain(container.args.iter().flatten())
        {
            for reference in expansions(arg) {
                report.check(
                    "env references resolve",
                    &subject,
                    defined.contains(reference),
                    || format!("argument {arg:?} refers to $({reference}), which is not defined"),
                );
            }
        }
        for mount in container.volume_mounts.iter().flatten() {
            let declared = spec.volumes.iter().flatten().any(|v| v.name == mount.name)
                || volume_claim_names(object).contains(&mount.name);
            report.check("volume mounts resolve", &subject, declared, || {
                format!(
                    "mounts volume {:?}, which the Pod does not declare",
                    mount.name
                )
            });
        }
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(config_map) = &volume.config_map {
            report.check(
                "volume references resolve",
                &id,
                index.config_map_keys(&config_map.name, namespace).is_some()
                    || config_map.optional == Some(true),
                || {
                    format!(
                        "volume {:?} uses ConfigMap {:?}, which is not rendered",
                        volume.name, config_map.name
                    )
                },
            );
        }
        if let Some(secret) = &volume.secret {
            let name = secret.secret_name.clone().unwrap_or_default();
            report.check("volume references resolve", &id, index.secret_keys(&name, namespace).is_some() || external(&name) || secret.optional == Some(true), || {
                format!("volume {:?} uses Secret {name:?}, which is neither rendered nor declared as existing", volume.name)
            });
        }
    }
}

fn volume_claim_names(object: &Manifest) -> Vec<String> {
    match object {
        Manifest::StatefulSet(s) => s
            .spec
            .iter()
            .flat_map(|s| s.volume_claim_templates.iter().flatten())
            .filter_map(|c| c.metadata.name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The variable names in Kubernetes `$(NAME)` expansions (`$$` escapes).
fn expansions(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
        } else if let Some(open) = after.strip_prefix('(') {
            match open.find(')') {
                Some(close) => {
                    names.push(&open[..close]);
                    rest = &open[close + 1..];
                }
                None => break,
            }
        } else {
            rest = after;
        }
    }
    names
}
