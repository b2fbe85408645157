//! What must hold before the rendered release can run faithfully on the
//! host network, computed from the typed objects alone: every Service
//! exposes exactly the port its Pods listen on (Docker cannot remap a port
//! on the host network), no two objects claim the same port, the Service
//! names that resolve to 127.0.0.1, and each container's environment as the
//! kubelet resolves it.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use todo_infra::Manifest;

/// One Service port and the workload port it reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub service: String,
    pub workload: String,
    pub port: u16,
}

/// The Deployments and StatefulSets, in the order a fresh install starts
/// them: Deployments first, so the backend starts before its database and
/// must recover as it would in a cluster.
pub fn workloads(objects: &[Manifest]) -> Vec<&Manifest> {
    let deployments = objects
        .iter()
        .filter(|o| matches!(o, Manifest::Deployment(_)));
    let stateful = objects
        .iter()
        .filter(|o| matches!(o, Manifest::StatefulSet(_)));
    deployments.chain(stateful).collect()
}

/// The one container of a workload or Pod; more would need a shared
/// network namespace per Pod, which this emulation does not build.
pub fn only_container(object: &Manifest) -> anyhow::Result<&Container> {
    let (_, spec) = object
        .pod_template()
        .with_context(|| format!("{} has no Pod template", object.id()))?;
    match spec.containers.as_slice() {
        [container] => Ok(container),
        _ => bail!(
            "{}: one container per Pod is all this emulation supports",
            object.id()
        ),
    }
}

/// The container port a named or numbered port refers to.
pub fn container_port(container: &Container, port: &IntOrString) -> Option<u16> {
    let mut ports = container.ports.iter().flatten();
    let number = match port {
        IntOrString::Int(n) => ports.find(|p| p.container_port == *n)?.container_port,
        IntOrString::String(name) => {
            ports
                .find(|p| p.name.as_deref() == Some(name))?
                .container_port
        }
    };
    u16::try_from(number).ok()
}

fn describe(port: &IntOrString) -> String {
    match port {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(name) => format!("{name:?}"),
    }
}

/// Every Service port with the workload it selects, checked: the Service
/// selects exactly one workload, its targetPort is a port that workload's
/// container declares, and `port` equals that number. Then no two Services
/// and no two workloads share a port.
pub fn bindings(objects: &[Manifest]) -> anyhow::Result<Vec<Binding>> {
    let workloads = workloads(objects);
    let mut bindings = Vec::new();
    for object in objects {
        let Manifest::Service(service) = object else {
            continue;
        };
        let spec = service.spec.clone().unwrap_or_default();
        let selector = spec.selector.unwrap_or_default();
        let selected: Vec<&&Manifest> = workloads
            .iter()
            .filter(|w| {
                let labels = w
                    .pod_template()
                    .and_then(|(meta, _)| meta.labels.clone())
                    .unwrap_or_default();
                !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .collect();
        let workload = match selected.as_slice() {
            [one] => one,
            [] => bail!("{} selects no Deployment or StatefulSet", object.id()),
            many => bail!(
                "{} selects {} workloads; one each is all this emulation supports",
                object.id(),
                many.len()
            ),
        };
        let container = only_container(workload)?;
        for port in spec.ports.iter().flatten() {
            let target = port
                .target_port
                .clone()
                .unwrap_or(IntOrString::Int(port.port));
            let Some(number) = container_port(container, &target) else {
                bail!(
                    "{} targetPort {} is not a port {} declares",
                    object.id(),
                    describe(&target),
                    workload.id()
                );
            };
            if i32::from(number) != port.port {
                bail!(
                    "{} port {} differs from its targetPort {} ({number} in {}): on the host \
                     network a client of the Service would reach nothing on port {}",
                    object.id(),
                    port.port,
                    describe(&target),
                    workload.id(),
                    port.port
                );
            }
            bindings.push(Binding {
                service: object.id(),
                workload: workload.id(),
                port: number,
            });
        }
    }
    distinct(objects, &bindings)?;
    Ok(bindings)
}

/// On one host every port can be bound once: two Services, or two
/// workloads' containers, on the same port would collide.
fn distinct(objects: &[Manifest], bindings: &[Binding]) -> anyhow::Result<()> {
    let mut by_port: BTreeMap<u16, &str> = BTreeMap::new();
    for binding in bindings {
        if let Some(other) = by_port.insert(binding.port, &binding.service)
            && other != binding.service
        {
            bail!(
                "{other} and {} both use port {}; on the host network ports must be distinct",
                binding.service,
                binding.port
            );
        }
    }
    let mut declared: BTreeMap<u16, String> = BTreeMap::new();
    for workload in workloads(objects) {
        for port in only_container(workload)?.ports.iter().flatten() {
            let number = u16::try_from(port.container_port)
                .with_context(|| format!("{}: bad port {}", workload.id(), port.container_port))?;
            if let Some(other) = declared.insert(number, workload.id())
                && other != workload.id()
            {
                bail!(
                    "{other} and {} both listen on port {number}; on the host network ports must be distinct",
                    workload.id()
                );
            }
        }
    }
    Ok(())
}

/// The names a Service answers to inside the cluster, each mapped to
/// 127.0.0.1 in every container.
pub fn host_names(objects: &[Manifest], namespace: &str) -> Vec<String> {
    let mut names = Vec::new();
    for object in objects {
        if let Manifest::Service(_) = object {
            let name = object.name();
            let namespace = object.namespace().unwrap_or(namespace);
            names.push(name.to_owned());
            names.push(format!("{name}.{namespace}"));
            names.push(format!("{name}.{namespace}.svc"));
            names.push(format!("{name}.{namespace}.svc.cluster.local"));
        }
    }
    names
}

/// The container's environment as the kubelet computes it: envFrom first,
/// then `env` in order with `$(VAR)` expanded from earlier names. A missing
/// ConfigMap, Secret or key is an error, as it is for the kubelet
/// (CreateContainerConfigError).
pub fn environment(
    objects: &[Manifest],
    object: &Manifest,
    container: &Container,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut ordered = Vec::new();
    for from in container.env_from.iter().flatten() {
        let data = match (&from.config_map_ref, &from.secret_ref) {
            (Some(r), _) => data(objects, "ConfigMap", &r.name),
            (_, Some(r)) => data(objects, "Secret", &r.name),
            _ => bail!("{}: an envFrom with no source", object.id()),
        }
        .with_context(|| format!("{}: envFrom", object.id()))?;
        for (key, value) in data {
            values.insert(key.clone(), value.clone());
            ordered.push((key, value));
        }
    }
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(value), _) => expand(value, &values),
            (None, Some(from)) => {
                let (kind, name, key, optional) =
                    match (&from.config_map_key_ref, &from.secret_key_ref) {
                        (Some(r), _) => ("ConfigMap", &r.name, &r.key, r.optional),
                        (_, Some(r)) => ("Secret", &r.name, &r.key, r.optional),
                        _ => bail!(
                            "{}: env {} comes from a source this emulation does not know",
                            object.id(),
                            var.name
                        ),
                    };
                let found = data(objects, kind, name).and_then(|mut data| {
                    data.remove(key.as_str())
                        .with_context(|| format!("couldn't find key {key} in {kind} {name}"))
                });
                // An optional reference that finds nothing leaves the
                // variable unset, as the kubelet does.
                if found.is_err() && optional == Some(true) {
                    continue;
                }
                found.with_context(|| {
                        format!(
                            "{}: env {} (the kubelet would refuse to start the container: CreateContainerConfigError)",
                            object.id(),
                            var.name
                        )
                    })?
            }
            (None, None) => String::new(),
        };
        values.insert(var.name.clone(), value.clone());
        ordered.push((var.name.clone(), value));
    }
    Ok(ordered)
}

fn data(objects: &[Manifest], kind: &str, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
    for object in objects {
        match object {
            Manifest::ConfigMap(c) if kind == "ConfigMap" && object.name() == name => {
                return Ok(c.data.clone().unwrap_or_default());
            }
            Manifest::Secret(s) if kind == "Secret" && object.name() == name => {
                let mut data: BTreeMap<String, String> = s.string_data.clone().unwrap_or_default();
                for (key, value) in s.data.iter().flatten() {
                    let text = String::from_utf8(value.0.clone())
                        .with_context(|| format!("Secret {name} key {key} is not text"))?;
                    data.insert(key.clone(), text);
                }
                return Ok(data);
            }
            _ => {}
        }
    }
    bail!("{kind} {name} is not rendered")
}

/// Kubernetes `$(VAR)` expansion: known names are replaced, `$$` is a
/// literal `$`, anything else is left as written.
pub fn expand(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|s| s.split_once(')')) {
            match values.get(name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&format!("$({name})")),
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A memory quantity (`128Mi`, `1Gi`, `500M`, bytes) as Docker's `--memory`.
pub fn docker_memory(quantity: &str) -> anyhow::Result<String> {
    let units: [(&str, u64); 6] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("k", 1000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
    ];
    for (suffix, factor) in units {
        if let Some(number) = quantity.strip_suffix(suffix) {
            let n: u64 = number
                .parse()
                .with_context(|| format!("memory limit {quantity:?}"))?;
            return Ok((n * factor).to_string());
        }
    }
    let n: u64 = quantity
        .parse()
        .with_context(|| format!("memory limit {quantity:?}"))?;
    Ok(n.to_string())
}

/// A CPU quantity (`500m`, `1`, `0.5`) as Docker's `--cpus`.
pub fn docker_cpus(quantity: &str) -> anyhow::Result<String> {
    let cpus: f64 = match quantity.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().map(|m| m / 1000.0),
        None => quantity.parse(),
    }
    .with_context(|| format!("cpu limit {quantity:?}"))?;
    Ok(format!("{cpus}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small release in the shape the chart renders: a backend
    /// Deployment with a named port and a Secret-backed env var, its
    /// Service, and a database StatefulSet with its Service.
    pub(crate) fn release() -> Vec<Manifest> {
        let yaml = r#"
apiVersion: v1
kind: Secret
metadata: {name: app, namespace: todo}
stringData: {jwt-secret: s3cret, postgres-password: pw}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: backend, namespace: todo}
data: {PORT: "8080"}
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: todo}
spec:
  selector: {app.kubernetes.io/component: backend}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: todo}
spec:
  clusterIP: None
  selector: {app.kubernetes.io/component: postgresql}
  ports: [{name: postgresql, port: 5432, targetPort: postgresql}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: todo}
spec:
  selector: {matchLabels: {app.kubernetes.io/component: backend}}
  template:
    metadata: {labels: {app.kubernetes.io/component: backend}}
    spec:
      containers:
        - name: backend
          image: todo-backend:1
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{configMapRef: {name: backend}}]
          env:
            - name: DATABASE_PASSWORD
              valueFrom: {secretKeyRef: {name: app, key: postgres-password}}
            - name: DATABASE_URL
              value: postgres://todo:$(DATABASE_PASSWORD)@db:$(PORT)/todo
          readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: todo}
spec:
  serviceName: db
  selector: {matchLabels: {app.kubernetes.io/component: postgresql}}
  template:
    metadata: {labels: {app.kubernetes.io/component: postgresql}}
    spec:
      containers:
        - name: postgresql
          image: postgres:16
          ports: [{name: postgresql, containerPort: 5432}]
"#;
        todo_infra::parse_stream(yaml)
            .expect("the test release parses")
            .into_iter()
            .map(|d| d.manifest)
            .collect()
    }

    fn find<'a>(objects: &'a mut [Manifest], id: &str) -> &'a mut Manifest {
        objects
            .iter_mut()
            .find(|o| o.id() == id)
            .expect("object in the test release")
    }

    #[test]
    fn resolves_named_target_ports() {
        let objects = release();
        assert_eq!(
            bindings(&objects).unwrap(),
            vec![
                Binding {
                    service: "Service/backend".into(),
                    workload: "Deployment/backend".into(),
                    port: 8080
                },
                Binding {
                    service: "Service/db".into(),
                    workload: "StatefulSet/db".into(),
                    port: 5432
                },
            ]
        );
        let container = only_container(&objects[4]).unwrap();
        assert_eq!(
            container_port(container, &IntOrString::String("http".into())),
            Some(8080)
        );
        assert_eq!(
            container_port(container, &IntOrString::Int(8080)),
            Some(8080)
        );
        assert_eq!(container_port(container, &IntOrString::Int(9090)), None);
        assert_eq!(
            container_port(container, &IntOrString::String("grpc".into())),
            None
        );
    }

    #[test]
    fn rejects_a_port_that_differs_from_its_target() {
        let mut objects = release();
        if let Manifest::Service(s) = find(&mut objects, "Service/backend") {
            s.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 8081;
        }
        let error = bindings(&objects).unwrap_err().to_string();
        assert!(
            error.contains("Service/backend port 8081 differs from its targetPort \"http\" (8080 in Deployment/backend)"),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_target_the_container_does_not_declare() {
        let mut objects = release();
        if let Manifest::Service(s) = find(&mut objects, "Service/db") {
            s.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].target_port =
                Some(IntOrString::String("pg".into()));
        }
        let error = bindings(&objects).unwrap_err().to_string();
        assert!(
            error.contains("Service/db targetPort \"pg\" is not a port StatefulSet/db declares"),
            "{error}"
        );
    }

    #[test]
    fn rejects_ports_used_twice_naming_both_objects() {
        let mut objects = release();
        if let Manifest::StatefulSet(s) = find(&mut objects, "StatefulSet/db") {
            let spec = s.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
            spec.containers[0].ports.as_mut().unwrap()[0].container_port = 8080;
        }
        if let Manifest::Service(s) = find(&mut objects, "Service/db") {
            s.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 8080;
        }
        let error = bindings(&objects).unwrap_err().to_string();
        assert!(
            error.contains("Service/backend and Service/db both use port 8080"),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_service_that_selects_nothing() {
        let mut objects = release();
        if let Manifest::Service(s) = find(&mut objects, "Service/db") {
            s.spec.as_mut().unwrap().selector =
                Some(BTreeMap::from([("app".to_owned(), "none".to_owned())]));
        }
        let error = bindings(&objects).unwrap_err().to_string();
        assert!(
            error.contains("Service/db selects no Deployment or StatefulSet"),
            "{error}"
        );
    }

    #[test]
    fn maps_every_service_name_form() {
        let names = host_names(&release(), "other");
        assert_eq!(
            &names[..4],
            [
                "backend",
                "backend.todo",
                "backend.todo.svc",
                "backend.todo.svc.cluster.local"
            ]
        );
        assert_eq!(names.len(), 8);
    }

    #[test]
    fn resolves_the_environment_like_the_kubelet() {
        let objects = release();
        let env = environment(&objects, &objects[4], only_container(&objects[4]).unwrap()).unwrap();
        assert_eq!(
            env,
            [
                ("PORT".to_owned(), "8080".to_owned()),
                ("DATABASE_PASSWORD".to_owned(), "pw".to_owned()),
                (
                    "DATABASE_URL".to_owned(),
                    "postgres://todo:pw@db:8080/todo".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_missing_key_is_a_container_config_error() {
        let mut objects = release();
        if let Manifest::Deployment(d) = find(&mut objects, "Deployment/backend") {
            let spec = d.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
            let env = spec.containers[0].env.as_mut().unwrap();
            let from = env[0].value_from.as_mut().unwrap();
            from.secret_key_ref.as_mut().unwrap().key = "nope".into();
        }
        let error = format!(
            "{:#}",
            environment(&objects, &objects[4], only_container(&objects[4]).unwrap()).unwrap_err()
        );
        assert!(
            error.contains("Deployment/backend: env DATABASE_PASSWORD")
                && error.contains("couldn't find key nope in Secret app"),
            "{error}"
        );
    }

    #[test]
    fn an_optional_missing_key_leaves_the_variable_unset() {
        let mut objects = release();
        if let Manifest::Deployment(d) = find(&mut objects, "Deployment/backend") {
            let spec = d.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
            let env = spec.containers[0].env.as_mut().unwrap();
            let key_ref = env[0]
                .value_from
                .as_mut()
                .unwrap()
                .secret_key_ref
                .as_mut()
                .unwrap();
            key_ref.key = "rotation-only".into();
            key_ref.optional = Some(true);
        }
        let env = environment(&objects, &objects[4], only_container(&objects[4]).unwrap()).unwrap();
        assert!(
            env.iter().all(|(name, _)| name != "DATABASE_PASSWORD"),
            "{env:?}"
        );
    }

    #[test]
    fn expands_like_the_kubelet() {
        let values = BTreeMap::from([("PASSWORD".to_owned(), "s3cret".to_owned())]);
        assert_eq!(
            expand("postgres://u:$(PASSWORD)@db/x", &values),
            "postgres://u:s3cret@db/x"
        );
        assert_eq!(
            expand("$$(PASSWORD) $(OTHER) $5", &values),
            "$(PASSWORD) $(OTHER) $5"
        );
    }

    #[test]
    fn converts_quantities_for_docker() {
        assert_eq!(docker_memory("128Mi").unwrap(), "134217728");
        assert_eq!(docker_memory("1G").unwrap(), "1000000000");
        assert_eq!(docker_cpus("500m").unwrap(), "0.5");
        assert_eq!(docker_cpus("1").unwrap(), "1");
        assert!(docker_memory("lots").is_err());
    }
}
