//! Custom objects checked against the CRDs that define them.
//!
//! kubernetes-validate knows only the built-in kinds, and [`crate::manifest`]
//! models a few others by hand. For an operator's kinds the authority is the
//! operator's own CRD, so this module loads CRD files, indexes them by
//! group, version and kind, and validates an object against its version's
//! `openAPIV3Schema` the way the API server does for `kubectl apply
//! --validate=strict`: nulls of non-nullable fields are pruned, defaults
//! satisfy `required`, and a field the structural schema does not declare is
//! an error (the server would prune it; strict validation refuses it).
//!
//! CEL rules (`x-kubernetes-validations`) need a CEL evaluator: they are
//! counted for every value they would have been evaluated on, and reported
//! as skipped. Formats other than `int-or-string` are not checked.
//!
//! Schema keywords this validator does not implement make loading fail, so
//! a CRD update that starts relying on one cannot pass unchecked.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use regex::Regex;
use serde_json::{Map, Value};

/// CRD files with where they came from; see `infra/crds/*/README.md`.
#[derive(Debug, Clone, Copy)]
pub struct Bundle {
    pub project: &'static str,
    pub version: &'static str,
    pub commit: &'static str,
    /// `(file name, contents)`.
    pub files: &'static [(&'static str, &'static str)],
}

impl Bundle {
    pub fn origin(&self) -> Origin {
        Origin {
            project: self.project.to_owned(),
            version: self.version.to_owned(),
            commit: self.commit.to_owned(),
        }
    }
}

/// The CloudNativePG operator's CRDs for the kinds the chart renders.
pub const CLOUDNATIVE_PG: Bundle = Bundle {
    project: "CloudNativePG",
    version: "1.30.0",
    commit: "4b5e244a7d031f67e025c83c1555e7726ecbbfa1",
    files: &[
        (
            "postgresql.cnpg.io_clusters.yaml",
            include_str!("../crds/cloudnative-pg/postgresql.cnpg.io_clusters.yaml"),
        ),
        (
            "postgresql.cnpg.io_scheduledbackups.yaml",
            include_str!("../crds/cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml"),
        ),
    ],
};

/// The Gateway API's standard channel, for the chart's `HTTPRoute` and
/// optional `Gateway` (`infra/crds/gateway-api/README.md`).
pub const GATEWAY_API: Bundle = Bundle {
    project: "Gateway API",
    version: "1.6.1",
    commit: "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3",
    files: &[
        (
            "gateway.networking.k8s.io_gateways.yaml",
            include_str!("../crds/gateway-api/gateway.networking.k8s.io_gateways.yaml"),
        ),
        (
            "gateway.networking.k8s.io_httproutes.yaml",
            include_str!("../crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml"),
        ),
    ],
};

/// Which release of which project a CRD came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub project: String,
    pub version: String,
    pub commit: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.commit.get(..12).unwrap_or(&self.commit);
        write!(f, "{} {} ({short})", self.project, self.version)
    }
}

/// A group, version and kind, e.g. `postgresql.cnpg.io/v1 Cluster`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.group, self.version, self.kind)
    }
}

/// The group of an `apiVersion` (`""` for the core group's `v1`).
pub fn group_of(api_version: &str) -> &str {
    split_api_version(api_version).0
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// A CRD file that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LoadError {
    pub file: String,
    pub message: String,
}

/// Loaded CRDs, indexed by group, version and kind.
#[derive(Debug, Default)]
pub struct Crds {
    kinds: BTreeMap<Gvk, Served>,
    /// Each group's origin, as an index into `origins`.
    groups: BTreeMap<String, usize>,
    origins: Vec<Origin>,
}

#[derive(Debug)]
struct Served {
    /// `None`: the CRD declares the version with `served: false`.
    schema: Option<Schema>,
}

impl Crds {
    pub fn new() -> Self {
        Self::default()
    }

    /// The CRDs of every bundle.
    pub fn from_bundles(bundles: &[&Bundle]) -> Result<Self, LoadError> {
        let mut crds = Self::new();
        for bundle in bundles {
            let origin = bundle.origin();
            for (file, yaml) in bundle.files {
                crds.load(&origin, file, yaml)?;
            }
        }
        Ok(crds)
    }

    /// [`CLOUDNATIVE_PG`]'s CRDs.
    pub fn cloudnative_pg() -> Result<Self, LoadError> {
        Self::from_bundles(&[&CLOUDNATIVE_PG])
    }

    /// Every CRD the chart's custom objects are checked against:
    /// [`CLOUDNATIVE_PG`] and [`GATEWAY_API`].
    pub fn chart() -> Result<Self, LoadError> {
        Self::from_bundles(&[&CLOUDNATIVE_PG, &GATEWAY_API])
    }

    /// Loads every `apiextensions.k8s.io/v1` CRD in `yaml` (one or more
    /// documents); returns the kinds it defines.
    pub fn load(&mut self, origin: &Origin, file: &str, yaml: &str) -> Result<Vec<Gvk>, LoadError> {
        let error = |message: String| LoadError {
            file: file.to_owned(),
            message,
        };
        let documents: Vec<Value> =
            serde_saphyr::from_multiple(yaml).map_err(|e| error(format!("not valid YAML: {e}")))?;
        if documents.is_empty() {
            return Err(error("no CustomResourceDefinition in the file".to_owned()));
        }
        let origin_index = match self.origins.iter().position(|o| o == origin) {
            Some(index) => index,
            None => {
                self.origins.push(origin.clone());
                self.origins.len() - 1
            }
        };
        let mut loaded = Vec::new();
        for (index, document) in documents.iter().enumerate() {
            let definition =
                read_crd(document).map_err(|e| error(format!("document {}: {e}", index + 1)))?;
            if let Some(&existing) = self.groups.get(&definition.group)
                && existing != origin_index
            {
                return Err(error(format!(
                    "group {} is already loaded from {}",
                    definition.group, self.origins[existing]
                )));
            }
            self.groups.insert(definition.group.clone(), origin_index);
            for (version, served) in definition.versions {
                let gvk = Gvk {
                    group: definition.group.clone(),
                    version,
                    kind: definition.kind.clone(),
                };
                if self.kinds.contains_key(&gvk) {
                    return Err(error(format!("{gvk} is defined twice")));
                }
                loaded.push(gvk.clone());
                self.kinds.insert(gvk, served);
            }
        }
        Ok(loaded)
    }

    /// Every loaded group, version and kind.
    pub fn kinds(&self) -> impl Iterator<Item = &Gvk> {
        self.kinds.keys()
    }

    /// Where the loaded CRDs came from.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Whether the group of `api_version` is one a loaded CRD defines.
    pub fn covers(&self, api_version: &str) -> bool {
        self.groups.contains_key(group_of(api_version))
    }

    /// Where the CRDs of `api_version`'s group came from.
    pub fn origin(&self, api_version: &str) -> Option<&Origin> {
        let index = self.groups.get(group_of(api_version))?;
        self.origins.get(*index)
    }

    /// Validates `object` when its group is covered; `None` when it is not
    /// (or it has no `apiVersion`): the caller decides about those.
    pub fn validate(&self, object: &Value) -> Option<Validation> {
        let map = object.as_object()?;
        let api_version = map.get("apiVersion")?.as_str()?;
        if !self.covers(api_version) {
            return None;
        }
        let (group, version) = split_api_version(api_version);
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = map
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut walk = Walk::default();
        let gvk = Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        };
        match self.kinds.get(&gvk) {
            Some(Served {
                schema: Some(schema),
            }) => walk.node(object, schema, "", true),
            Some(Served { schema: None }) => {
                walk.error(
                    "apiVersion",
                    format!("{gvk}: the CRD does not serve {version}"),
                );
            }
            None => {
                let (path, message) = self.unknown(&gvk);
                walk.error(path, message);
            }
        }
        Some(Validation {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            errors: walk.errors,
            cel_rules_skipped: walk.cel_rules,
        })
    }

    fn unknown(&self, gvk: &Gvk) -> (&'static str, String) {
        let in_group: Vec<&Gvk> = self.kinds.keys().filter(|k| k.group == gvk.group).collect();
        let of_kind: BTreeSet<&str> = in_group
            .iter()
            .filter(|k| k.kind == gvk.kind)
            .map(|k| k.version.as_str())
            .collect();
        if of_kind.is_empty() {
            let kinds: BTreeSet<&str> = in_group.iter().map(|k| k.kind.as_str()).collect();
            (
                "kind",
                format!(
                    "no CRD loaded for {gvk} (loaded kinds of {}: {})",
                    gvk.group,
                    kinds.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        } else {
            (
                "apiVersion",
                format!(
                    "{} {} has no version {} (loaded: {})",
                    gvk.group,
                    gvk.kind,
                    gvk.version,
                    of_kind.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        }
    }

    /// Validates every object of a covered group in a multi-document YAML
    /// stream (as `helm template` prints it).
    pub fn validate_stream(&self, text: &str) -> Result<StreamReport, String> {
        let documents: Vec<Value> =
            serde_saphyr::from_multiple(text).map_err(|e| format!("not valid YAML: {e}"))?;
        let mut report = StreamReport::default();
        for validation in documents.iter().filter_map(|d| self.validate(d)) {
            report.validated += 1;
            report.cel_rules_skipped += validation.cel_rules_skipped;
            if !validation.is_valid() {
                report.invalid.push(validation);
            }
        }
        Ok(report)
    }
}

/// The result of validating one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// Every problem found, not just the first.
    pub errors: Vec<FieldError>,
    /// CEL rules that applied to values present in the object and were not
    /// evaluated (one per rule per value).
    pub cel_rules_skipped: usize,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for Validation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.api_version, self.kind, self.name)?;
        if self.errors.is_empty() {
            write!(f, ": valid")?;
        }
        for error in &self.errors {
            write!(f, "\n  {error}")?;
        }
        if self.cel_rules_skipped > 0 {
            write!(
                f,
                "\n  ({} CEL rules not evaluated)",
                self.cel_rules_skipped
            )?;
        }
        Ok(())
    }
}

/// One problem, at a field path such as `spec.storage.size`,
/// `spec.env[0].name` or `metadata.labels[app]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// What [`Crds::validate_stream`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Objects of covered groups, valid or not.
    pub validated: usize,
    pub cel_rules_skipped: usize,
    pub invalid: Vec<Validation>,
}

impl fmt::Display for StreamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} custom object(s) validated, {} invalid, {} CEL rules not evaluated",
            self.validated,
            self.invalid.len(),
            self.cel_rules_skipped
        )?;
        for validation in &self.invalid {
            write!(f, "\n{validation}")?;
        }
        Ok(())
    }
}

struct Definition {
    group: String,
    kind: String,
    versions: Vec<(String, Served)>,
}

fn read_crd(document: &Value) -> Result<Definition, String> {
    let text = |pointer: &str| {
        document
            .pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no {} (a string)", &pointer[1..].replace('/', ".")))
    };
    let api_version = text("/apiVersion")?;
    let kind = text("/kind")?;
    if (api_version, kind) != ("apiextensions.k8s.io/v1", "CustomResourceDefinition") {
        return Err(format!(
            "{api_version} {kind} is not an apiextensions.k8s.io/v1 CustomResourceDefinition"
        ));
    }
    let name = text("/metadata/name")?;
    let group = text("/spec/group")?.to_owned();
    let kind = text("/spec/names/kind")?.to_owned();
    let versions = document
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name}: no spec.versions"))?;
    let mut read = Vec::new();
    for (index, version) in versions.iter().enumerate() {
        let at = format!("spec.versions[{index}]");
        let version_name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{name}: {at}.name is missing"))?;
        let served = match version.get("served") {
            Some(Value::Bool(served)) => *served,
            _ => return Err(format!("{name}: {at}.served must be true or false")),
        };
        let raw = version
            .pointer("/schema/openAPIV3Schema")
            .ok_or_else(|| format!("{name}: {at} has no schema.openAPIV3Schema"))?;
        let schema = compile(raw, &format!("{at}.schema.openAPIV3Schema"))
            .map_err(|e| format!("{name}: {e}"))?;
        read.push((
            version_name.to_owned(),
            Served {
                schema: served.then_some(schema),
            },
        ));
    }
    Ok(Definition {
        group,
        kind,
        versions: read,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Type {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "object" => Self::Object,
            "array" => Self::Array,
            "string" => Self::String,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::Array => "array",
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }

    fn admits(self, value: &Value) -> bool {
        match self {
            Self::Object => value.is_object(),
            Self::Array => value.is_array(),
            Self::String => value.is_string(),
            Self::Integer => is_integer(value),
            Self::Number => value.is_number(),
            Self::Boolean => value.is_boolean(),
        }
    }
}

/// A float with no fraction counts: the API server's decoder accepts `3.0`
/// for an integer field.
fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[derive(Debug, Default)]
enum Additional {
    /// Absent or `false`: only declared properties.
    #[default]
    None,
    Any,
    Schema(Box<Schema>),
}

#[derive(Debug)]
enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

#[derive(Debug)]
struct Pattern {
    source: String,
    regex: Regex,
}

#[derive(Debug, Default)]
struct Schema {
    ty: Option<Type>,
    int_or_string: bool,
    nullable: bool,
    has_default: bool,
    preserve_unknown_fields: bool,
    embedded_resource: bool,
    properties: BTreeMap<String, Schema>,
    additional: Additional,
    required: Vec<String>,
    items: Option<Box<Schema>>,
    enumeration: Option<Vec<Value>>,
    pattern: Option<Pattern>,
    minimum: Option<f64>,
    exclusive_minimum: bool,
    maximum: Option<f64>,
    exclusive_maximum: bool,
    multiple_of: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    min_properties: Option<u64>,
    max_properties: Option<u64>,
    list_type: Option<ListType>,
    all_of: Vec<Schema>,
    any_of: Vec<Schema>,
    one_of: Vec<Schema>,
    not: Option<Box<Schema>>,
    cel_rules: usize,
}

impl Schema {
    fn expected(&self) -> Option<&'static str> {
        if self.int_or_string {
            Some("integer or string")
        } else {
            self.ty.map(Type::name)
        }
    }
}

/// Compiles one schema node at `at` (a path for error messages).
fn compile(node: &Value, at: &str) -> Result<Schema, String> {
    let map = node
        .as_object()
        .ok_or_else(|| format!("{at}: a schema must be a mapping"))?;
    let mut schema = Schema::default();
    let mut list_map_keys = None;
    for (key, value) in map {
        let here = format!("{at}.{key}");
        let boolean = || {
            value
                .as_bool()
                .ok_or_else(|| format!("{here}: expected true or false"))
        };
        let count = || {
            value
                .as_u64()
                .ok_or_else(|| format!("{here}: expected a non-negative integer"))
        };
        let number = || {
            value
                .as_f64()
                .ok_or_else(|| format!("{here}: expected a number"))
        };
        let string = || {
            value
                .as_str()
                .ok_or_else(|| format!("{here}: expected a string"))
        };
        let list = || {
            value
                .as_array()
                .ok_or_else(|| format!("{here}: expected a list"))
        };
        let schemas = || -> Result<Vec<Schema>, String> {
            list()?
                .iter()
                .enumerate()
                .map(|(i, s)| compile(s, &format!("{here}[{i}]")))
                .collect()
        };
        let strings = || -> Result<Vec<String>, String> {
            list()?
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{here}: expected a list of strings"))
        };
        match key.as_str() {
            // Documentation, or pruning and apply hints with no bearing on validity.
            "description" | "title" | "example" | "externalDocs" | "x-kubernetes-map-type" => {}
            "type" => {
                let name = string()?;
                schema.ty = Some(
                    Type::parse(name).ok_or_else(|| format!("{here}: unknown type {name:?}"))?,
                );
            }
            "format" => schema.int_or_string |= string()? == "int-or-string",
            "nullable" => schema.nullable = boolean()?,
            "default" => schema.has_default = true,
            "x-kubernetes-int-or-string" => schema.int_or_string |= boolean()?,
            "x-kubernetes-preserve-unknown-fields" => schema.preserve_unknown_fields = boolean()?,
            "x-kubernetes-embedded-resource" => schema.embedded_resource = boolean()?,
            "x-kubernetes-list-type" => {
                schema.list_type = Some(match string()? {
                    "atomic" => ListType::Atomic,
                    "set" => ListType::Set,
                    "map" => ListType::Map(Vec::new()),
                    other => return Err(format!("{here}: unknown list type {other:?}")),
                });
            }
            "x-kubernetes-list-map-keys" => list_map_keys = Some(strings()?),
            "x-kubernetes-validations" => {
                let rules = list()?;
                if rules
                    .iter()
                    .any(|r| r.get("rule").and_then(Value::as_str).is_none())
                {
                    return Err(format!("{here}: every validation needs a rule"));
                }
                schema.cel_rules = rules.len();
            }
            "properties" => {
                let properties = value
                    .as_object()
                    .ok_or_else(|| format!("{here}: expected a mapping"))?;
                for (name, property) in properties {
                    schema
                        .properties
                        .insert(name.clone(), compile(property, &format!("{here}.{name}"))?);
                }
            }
            "additionalProperties" => {
                schema.additional = match value {
                    Value::Bool(true) => Additional::Any,
                    Value::Bool(false) => Additional::None,
                    other => Additional::Schema(Box::new(compile(other, &here)?)),
                };
            }
            "required" => schema.required = strings()?,
            "items" => schema.items = Some(Box::new(compile(value, &here)?)),
            "enum" => schema.enumeration = Some(list()?.clone()),
            "pattern" => {
                let source = string()?;
                let regex = Regex::new(&as_re2(source))
                    .map_err(|e| format!("{here}: pattern {source:?} does not compile: {e}"))?;
                schema.pattern = Some(Pattern {
                    source: source.to_owned(),
                    regex,
                });
            }
            "minimum" => schema.minimum = Some(number()?),
            "maximum" => schema.maximum = Some(number()?),
            "exclusiveMinimum" => schema.exclusive_minimum = boolean()?,
            "exclusiveMaximum" => schema.exclusive_maximum = boolean()?,
            "multipleOf" => schema.multiple_of = Some(number()?),
            "minLength" => schema.min_length = Some(count()?),
            "maxLength" => schema.max_length = Some(count()?),
            "minItems" => schema.min_items = Some(count()?),
            "maxItems" => schema.max_items = Some(count()?),
            "uniqueItems" => schema.unique_items = boolean()?,
            "minProperties" => schema.min_properties = Some(count()?),
            "maxProperties" => schema.max_properties = Some(count()?),
            "allOf" => schema.all_of = schemas()?,
            "anyOf" => schema.any_of = schemas()?,
            "oneOf" => schema.one_of = schemas()?,
            "not" => schema.not = Some(Box::new(compile(value, &here)?)),
            _ => {
                return Err(format!(
                    "{here}: a schema keyword this validator does not implement"
                ));
            }
        }
    }
    if let Some(ListType::Map(keys)) = &mut schema.list_type {
        *keys = list_map_keys
            .ok_or_else(|| format!("{at}: a map list without x-kubernetes-list-map-keys"))?;
    }
    Ok(schema)
}

/// The API server matches patterns with Go's RE2, where `\d`, `\w`, `\s`
/// and `\b` are ASCII-only; Rust's are Unicode-aware unless told otherwise.
fn as_re2(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(class @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B')) => {
                out.push_str("(?-u:\\");
                out.push(class);
                out.push(')');
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[derive(Debug, Default)]
struct Walk {
    errors: Vec<FieldError>,
    cel_rules: usize,
    /// Inside an `allOf`/`anyOf`/`oneOf`/`not` branch: value validations
    /// only, as the structural skeleton alone decides which fields exist.
    in_branch: bool,
}

fn child(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn quote(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

impl Walk {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn value(&mut self, value: &Value, schema: &Schema, path: &str) {
        self.node(value, schema, path, false);
    }

    /// `root`: the object itself, whose `metadata` is an ObjectMeta with a
    /// required name.
    fn node(&mut self, value: &Value, schema: &Schema, path: &str, root: bool) {
        if value.is_null() {
            if !schema.nullable
                && let Some(expected) = schema.expected()
            {
                self.error(path, format!("expected {expected}, got null"));
            }
            return;
        }
        if !self.in_branch {
            self.cel_rules += schema.cel_rules;
        }
        if schema.int_or_string {
            if !(is_integer(value) || value.is_string()) {
                self.error(
                    path,
                    format!("expected integer or string, got {}", type_of(value)),
                );
                return;
            }
        } else if let Some(ty) = schema.ty
            && !ty.admits(value)
        {
            self.error(
                path,
                format!("expected {}, got {}", ty.name(), type_of(value)),
            );
            return;
        }
        if let Some(allowed) = &schema.enumeration
            && !allowed.contains(value)
        {
            let allowed: Vec<String> = allowed.iter().map(quote).collect();
            self.error(
                path,
                format!(
                    "unsupported value {}: expected one of {}",
                    quote(value),
                    allowed.join(", ")
                ),
            );
        }
        match value {
            Value::String(text) => self.string(text, schema, path),
            Value::Number(_) => self.number(value, schema, path),
            Value::Array(items) => self.array(items, schema, path),
            Value::Object(map) => self.object(map, schema, path, root),
            Value::Bool(_) | Value::Null => {}
        }
        self.junctors(value, schema, path);
    }

    fn string(&mut self, text: &str, schema: &Schema, path: &str) {
        // Lengths count characters, as the API server does.
        let length = text.chars().count() as u64;
        if let Some(min) = schema.min_length
            && length < min
        {
            self.error(
                path,
                format!("{length} characters, at least {min} required"),
            );
        }
        if let Some(max) = schema.max_length
            && length > max
        {
            self.error(path, format!("{length} characters, at most {max} allowed"));
        }
        if let Some(pattern) = &schema.pattern
            && !pattern.regex.is_match(text)
        {
            self.error(
                path,
                format!(
                    "{} does not match the pattern {}",
                    quote(&Value::from(text)),
                    pattern.source
                ),
            );
        }
    }

    fn number(&mut self, value: &Value, schema: &Schema, path: &str) {
        let Some(n) = value.as_f64() else { return };
        if let Some(min) = schema.minimum {
            if schema.exclusive_minimum && n <= min {
                self.error(path, format!("{value} must be greater than {min}"));
            } else if n < min {
                self.error(path, format!("{value} must be at least {min}"));
            }
        }
        if let Some(max) = schema.maximum {
            if schema.exclusive_maximum && n >= max {
                self.error(path, format!("{value} must be less than {max}"));
            } else if n > max {
                self.error(path, format!("{value} must be at most {max}"));
            }
        }
        if let Some(step) = schema.multiple_of
            && step != 0.0
            && (n / step).fract() != 0.0
        {
            self.error(path, format!("{value} must be a multiple of {step}"));
        }
    }

    fn array(&mut self, items: &[Value], schema: &Schema, path: &str) {
        let count = items.len() as u64;
        if let Some(min) = schema.min_items
            && count < min
        {
            self.error(path, format!("{count} items, at least {min} required"));
        }
        if let Some(max) = schema.max_items
            && count > max
        {
            self.error(path, format!("{count} items, at most {max} allowed"));
        }
        let unique_by_value =
            schema.unique_items || matches!(schema.list_type, Some(ListType::Set));
        for (index, item) in items.iter().enumerate() {
            let at = format!("{path}[{index}]");
            if unique_by_value && items[..index].contains(item) {
                self.error(&at, format!("duplicate value {}", quote(item)));
            }
            if let Some(ListType::Map(keys)) = &schema.list_type {
                let key_of = |item: &Value| -> Vec<Value> {
                    keys.iter()
                        .map(|k| item.get(k).cloned().unwrap_or(Value::Null))
                        .collect()
                };
                let key = key_of(item);
                if items[..index].iter().any(|earlier| key_of(earlier) == key) {
                    let shown: Vec<String> = keys
                        .iter()
                        .zip(&key)
                        .map(|(k, v)| format!("{k}={}", quote(v)))
                        .collect();
                    self.error(&at, format!("duplicate entry with {}", shown.join(", ")));
                }
            }
            if let Some(item_schema) = &schema.items {
                self.value(item, item_schema, &at);
            }
        }
    }

    fn object(&mut self, map: &Map<String, Value>, schema: &Schema, path: &str, root: bool) {
        let count = map.values().filter(|v| !v.is_null()).count() as u64;
        if let Some(min) = schema.min_properties
            && count < min
        {
            self.error(path, format!("{count} fields, at least {min} required"));
        }
        if let Some(max) = schema.max_properties
            && count > max
        {
            self.error(path, format!("{count} fields, at most {max} allowed"));
        }
        for name in &schema.required {
            let property = schema.properties.get(name);
            // A null is pruned unless the field is nullable; a default then fills it.
            let present = map
                .get(name)
                .is_some_and(|v| !v.is_null() || property.is_some_and(|p| p.nullable));
            if !present && !property.is_some_and(|p| p.has_default) {
                self.error(child(path, name), "required field missing");
            }
        }
        // The object itself, or a whole object embedded in it.
        let resource = root || schema.embedded_resource;
        if schema.embedded_resource && !self.in_branch {
            for field in ["apiVersion", "kind"] {
                if map.get(field).is_none_or(Value::is_null) {
                    self.error(child(path, field), "required field missing");
                }
            }
        }
        for (key, value) in map {
            let at = child(path, key);
            if resource && key == "metadata" && !self.in_branch {
                if !value.is_null() {
                    object_meta(self, value, &at, root);
                }
                continue;
            }
            if let Some(property) = schema.properties.get(key) {
                if !value.is_null() || property.nullable {
                    self.value(value, property, &at);
                }
                continue;
            }
            // Every Kubernetes object has these, whether its schema lists them or not.
            if resource && matches!(key.as_str(), "apiVersion" | "kind") {
                if !value.is_string() {
                    self.error(&at, format!("expected string, got {}", type_of(value)));
                }
                continue;
            }
            match &schema.additional {
                Additional::Schema(values) => {
                    if value.is_null() && !values.nullable {
                        continue;
                    }
                    self.value(value, values, &format!("{path}[{key}]"));
                }
                Additional::Any => {}
                Additional::None => {
                    if !self.in_branch && !schema.preserve_unknown_fields {
                        self.error(at, "unknown field");
                    }
                }
            }
        }
    }

    fn junctors(&mut self, value: &Value, schema: &Schema, path: &str) {
        let branch = |s: &Schema| {
            let mut walk = Walk {
                in_branch: true,
                ..Walk::default()
            };
            walk.value(value, s, path);
            walk.errors
        };
        for s in &schema.all_of {
            let errors = branch(s);
            self.errors.extend(errors);
        }
        if !schema.any_of.is_empty() {
            let outcomes: Vec<Vec<FieldError>> = schema.any_of.iter().map(branch).collect();
            if outcomes.iter().all(|errors| !errors.is_empty()) {
                let reasons: Vec<String> = outcomes
                    .iter()
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .collect();
                self.error(
                    path,
                    format!("matches none of anyOf: {}", reasons.join("; ")),
                );
            }
        }
        if !schema.one_of.is_empty() {
            let matching = schema
                .one_of
                .iter()
                .filter(|s| branch(s).is_empty())
                .count();
            if matching != 1 {
                self.error(
                    path,
                    format!("must match exactly one of oneOf, matches {matching}"),
                );
            }
        }
        if let Some(not) = &schema.not
            && branch(not).is_empty()
        {
            self.error(path, "must not match the schema under not");
        }
    }
}

/// `metadata` as the API server validates an ObjectMeta: the schema in a
/// CRD cannot restrict it, the server checks it itself.
fn object_meta(walk: &mut Walk, value: &Value, path: &str, name_required: bool) {
    let Some(map) = value.as_object() else {
        walk.error(path, format!("expected object, got {}", type_of(value)));
        return;
    };
    let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
    // `kubectl apply` needs a name; generateName does not work with it.
    if name_required && name.is_empty() {
        walk.error(child(path, "name"), "required field missing");
    }
    for (key, value) in map {
        let at = child(path, key);
        if value.is_null() {
            continue;
        }
        let expect = |walk: &mut Walk, ty: Type| {
            let ok = ty.admits(value);
            if !ok {
                walk.error(
                    &at,
                    format!("expected {}, got {}", ty.name(), type_of(value)),
                );
            }
            ok
        };
        match key.as_str() {
            "name" => {
                if expect(walk, Type::String) && !name.is_empty() && !is_dns_subdomain(name) {
                    walk.error(
                        &at,
                        format!("{name:?} is not a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)"),
                    );
                }
            }
            "namespace" => {
                if expect(walk, Type::String)
                    && let Some(namespace) = value.as_str()
                    && !is_dns_label(namespace)
                {
                    walk.error(
                        &at,
                        format!("{namespace:?} is not a DNS label (lowercase letters, digits and '-', at most 63 characters)"),
                    );
                }
            }
            "generateName" | "uid" | "resourceVersion" | "selfLink" | "creationTimestamp"
            | "deletionTimestamp" => {
                expect(walk, Type::String);
            }
            "generation" | "deletionGracePeriodSeconds" => {
                expect(walk, Type::Integer);
            }
            "labels" | "annotations" => {
                if !expect(walk, Type::Object) {
                    continue;
                }
                for (entry, text) in value.as_object().into_iter().flatten() {
                    let entry_at = format!("{at}[{entry}]");
                    if !is_qualified_name(entry) {
                        walk.error(
                            &entry_at,
                            "the key is not a qualified name ([prefix/]name, the name at most 63 characters of letters, digits, '-', '_' and '.')",
                        );
                    }
                    match text.as_str() {
                        Some(text) if key == "labels" && !is_label_value(text) => walk.error(
                            &entry_at,
                            format!("{text:?} is not a label value (at most 63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric)"),
                        ),
                        Some(_) => {}
                        None => walk.error(
                            &entry_at,
                            format!("expected string, got {}", type_of(text)),
                        ),
                    }
                }
            }
            "finalizers" => {
                if expect(walk, Type::Array) {
                    for (index, item) in value.as_array().into_iter().flatten().enumerate() {
                        if !item.is_string() {
                            walk.error(
                                format!("{at}[{index}]"),
                                format!("expected string, got {}", type_of(item)),
                            );
                        }
                    }
                }
            }
            "ownerReferences" | "managedFields" => {
                if expect(walk, Type::Array) {
                    for (index, item) in value.as_array().into_iter().flatten().enumerate() {
                        if !item.is_object() {
                            walk.error(
                                format!("{at}[{index}]"),
                                format!("expected object, got {}", type_of(item)),
                            );
                        }
                    }
                }
            }
            _ => walk.error(at, "unknown field"),
        }
    }
}

fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|part| {
            let bytes = part.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
        })
}

/// Up to 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends; empty allowed.
fn is_label_value(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.is_empty()
        || (bytes.len() <= 63
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && bytes[0].is_ascii_alphanumeric()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric())
}

fn is_qualified_name(text: &str) -> bool {
    let (prefix, name) = match text.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, text),
    };
    prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && is_label_value(name)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;

    fn crds() -> &'static Crds {
        static CRDS: OnceLock<Crds> = OnceLock::new();
        CRDS.get_or_init(|| Crds::cloudnative_pg().unwrap_or_else(|e| panic!("{e}")))
    }

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    const CLUSTER: &str = "\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: todo-db
  namespace: todo
  labels: {app.kubernetes.io/name: todo}
spec:
  instances: 1
  storage:
    size: 1Gi
";

    const SCHEDULED_BACKUP: &str = "\
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: todo-db-daily
spec:
  schedule: '0 0 3 * * *'
  cluster:
    name: todo-db
";

    fn errors(text: &str) -> Vec<String> {
        let validation = crds()
            .validate(&yaml(text))
            .expect("a postgresql.cnpg.io object is covered");
        let mut errors: Vec<String> = validation.errors.iter().map(ToString::to_string).collect();
        errors.sort();
        errors
    }

    #[test]
    fn the_embedded_crds_load_with_their_kinds() {
        let kinds: Vec<String> = crds().kinds().map(ToString::to_string).collect();
        assert_eq!(
            kinds,
            [
                "postgresql.cnpg.io/v1 Cluster",
                "postgresql.cnpg.io/v1 ScheduledBackup"
            ]
        );
        assert_eq!(crds().origins(), [CLOUDNATIVE_PG.origin()]);
        assert!(crds().covers("postgresql.cnpg.io/v1"));
        assert!(!crds().covers("monitoring.coreos.com/v1"));
        assert!(!crds().covers("v1"));
    }

    #[test]
    fn the_readme_records_the_embedded_version_and_commit() {
        let readme = include_str!("../crds/cloudnative-pg/README.md");
        for fact in [CLOUDNATIVE_PG.version, CLOUDNATIVE_PG.commit] {
            assert!(
                readme.contains(fact),
                "infra/crds/cloudnative-pg/README.md does not say {fact}"
            );
        }
        for (file, _) in CLOUDNATIVE_PG.files {
            assert!(readme.contains(file), "the README does not list {file}");
        }
    }

    #[test]
    fn a_minimal_cluster_is_valid_and_its_cel_rules_are_counted() {
        let validation = crds().validate(&yaml(CLUSTER)).unwrap();
        assert!(validation.is_valid(), "{validation}");
        assert_eq!(validation.kind, "Cluster");
        assert_eq!(validation.name, "todo-db");
        // The spec-level rule (imageName and imageCatalogRef exclusive).
        assert!(validation.cel_rules_skipped >= 1, "{validation}");
    }

    #[test]
    fn instances_is_required_but_defaulted() {
        assert_eq!(
            errors(&CLUSTER.replace("  instances: 1\n", "")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_unknown_field_is_rejected_with_its_path() {
        let text = CLUSTER.replace("    size: 1Gi\n", "    size: 1Gi\n    sizee: 2Gi\n");
        assert_eq!(errors(&text), ["spec.storage.sizee: unknown field"]);
    }

    #[test]
    fn a_wrong_type_is_rejected_with_its_path() {
        let text = CLUSTER.replace("size: 1Gi", "size: 1");
        assert_eq!(
            errors(&text),
            ["spec.storage.size: expected string, got integer"]
        );
    }

    #[test]
    fn a_missing_required_field_is_rejected_with_its_path() {
        let text = format!("{CLUSTER}  bootstrap:\n    initdb:\n      secret: {{}}\n");
        assert_eq!(
            errors(&text),
            ["spec.bootstrap.initdb.secret.name: required field missing"]
        );
        let unnamed = CLUSTER.replace("  name: todo-db\n", "");
        assert_eq!(errors(&unnamed), ["metadata.name: required field missing"]);
    }

    #[test]
    fn a_value_outside_the_enum_is_rejected_with_its_path() {
        let text = format!("{CLUSTER}  primaryUpdateStrategy: whenever\n");
        let found = errors(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "spec.primaryUpdateStrategy: unsupported value \"whenever\": expected one of"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn every_error_is_reported_not_just_the_first() {
        let text = format!(
            "{}  instances: many\n  typo: 1\n  primaryUpdateStrategy: whenever\n",
            CLUSTER.replace("  instances: 1\n", "")
        );
        let found = errors(&text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.contains(&"spec.instances: expected integer, got string".to_owned()));
        assert!(found.contains(&"spec.typo: unknown field".to_owned()));
    }

    #[test]
    fn bounds_patterns_and_quantities_are_checked() {
        let text = format!(
            "{}  resources:\n    limits: {{memory: lots, cpu: 1}}\n  serviceAccountName: Todo_SA\n",
            CLUSTER.replace("instances: 1", "instances: 0")
        );
        let found = errors(&text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found.contains(&"spec.instances: 0 must be at least 1".to_owned()),
            "{found:?}"
        );
        assert!(
            found.iter().any(|e| e
                .starts_with("spec.resources.limits[memory]: \"lots\" does not match the pattern")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.starts_with("spec.serviceAccountName: \"Todo_SA\" does not match")),
            "{found:?}"
        );
    }

    #[test]
    fn metadata_is_an_object_meta() {
        let text = CLUSTER
            .replace("name: todo-db", "name: Todo_DB")
            .replace("app.kubernetes.io/name: todo", "app.kubernetes.io/name: 7")
            .replace("  namespace: todo\n", "  namespace: todo\n  owner: me\n");
        assert_eq!(
            errors(&text),
            [
                "metadata.labels[app.kubernetes.io/name]: expected string, got integer",
                "metadata.name: \"Todo_DB\" is not a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)",
                "metadata.owner: unknown field",
            ]
        );
    }

    #[test]
    fn a_null_is_pruned_unless_the_field_is_required() {
        assert_eq!(
            errors(&format!("{CLUSTER}  description: null\n")),
            Vec::<String>::new()
        );
        let text = CLUSTER.replace("size: 1Gi", "size: 1Gi\n    pvcTemplate: null");
        assert_eq!(errors(&text), Vec::<String>::new());
    }

    #[test]
    fn a_scheduled_backup_is_validated() {
        assert_eq!(errors(SCHEDULED_BACKUP), Vec::<String>::new());
        let bad = SCHEDULED_BACKUP
            .replace("  cluster:\n    name: todo-db\n", "")
            .replace("'0 0 3 * * *'", "3")
            + "  method: barman\n";
        let found = errors(&bad);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found.contains(&"spec.cluster: required field missing".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(&"spec.schedule: expected string, got integer".to_owned()),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.starts_with("spec.method: unsupported value \"barman\"")),
            "{found:?}"
        );
    }

    #[test]
    fn an_unknown_kind_or_version_of_a_covered_group_fails() {
        let pooler = CLUSTER.replace("kind: Cluster", "kind: Pooler");
        let found = errors(&pooler);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("kind: no CRD loaded for postgresql.cnpg.io/v1 Pooler (loaded kinds of postgresql.cnpg.io: Cluster, ScheduledBackup)"),
            "{found:?}"
        );
        let v2 = CLUSTER.replace("postgresql.cnpg.io/v1", "postgresql.cnpg.io/v2");
        assert_eq!(
            errors(&v2),
            ["apiVersion: postgresql.cnpg.io Cluster has no version v2 (loaded: v1)"]
        );
    }

    #[test]
    fn objects_of_other_groups_are_left_to_the_caller() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\n",
            "just: a mapping\n",
        ] {
            assert_eq!(crds().validate(&yaml(text)), None, "{text}");
        }
    }

    #[test]
    fn a_stream_reports_each_covered_object() {
        let stream = format!(
            "---\n# Source: todo/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\n{CLUSTER}---\n{}",
            SCHEDULED_BACKUP.replace("'0 0 3 * * *'", "7")
        );
        let report = crds().validate_stream(&stream).unwrap();
        assert_eq!(report.validated, 2);
        assert_eq!(report.invalid.len(), 1);
        assert!(report.cel_rules_skipped >= 2, "{report}");
        assert!(
            report.to_string().contains(
                "ScheduledBackup/todo-db-daily\n  spec.schedule: expected string, got integer"
            ),
            "{report}"
        );
    }

    #[test]
    fn a_crd_using_a_keyword_the_validator_lacks_does_not_load() {
        let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            patternProperties: {}
";
        let error = Crds::new()
            .load(&CLOUDNATIVE_PG.origin(), "widgets.yaml", crd)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "widgets.yaml: document 1: widgets.example.com: spec.versions[0].schema.openAPIV3Schema.properties.spec.patternProperties: a schema keyword this validator does not implement"
        );
    }

    #[test]
    fn any_crd_file_loads_generically() {
        let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget}
  versions:
  - name: v1beta1
    served: false
    schema: {openAPIV3Schema: {type: object}}
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.size > 0
            properties:
              size: {anyOf: [{type: integer}, {type: string}], x-kubernetes-int-or-string: true}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string, maxLength: 3}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [port]
                items:
                  type: object
                  required: [port]
                  properties:
                    port: {type: integer, format: int32}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              mode: {type: string, oneOf: [{enum: [a]}, {enum: [b]}]}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
";
        let origin = Origin {
            project: "Example".to_owned(),
            version: "0.0.1".to_owned(),
            commit: "0".repeat(40),
        };
        let mut crds = Crds::new();
        let kinds = crds.load(&origin, "widgets.yaml", crd).unwrap();
        assert_eq!(kinds.len(), 2);
        let widget = |spec: &str| {
            let object = yaml(&format!(
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {spec}\n"
            ));
            crds.validate(&object).unwrap()
        };
        let valid = widget(
            "{size: 3, tags: [a, b], ports: [{port: 1}, {port: 2}], extra: {any: [thing]}, mode: a, template: {apiVersion: v1, kind: Pod, metadata: {labels: {a: b}}, spec: {x: 1}}}",
        );
        assert!(valid.is_valid(), "{valid}");
        assert_eq!(valid.cel_rules_skipped, 1);
        let invalid = widget(
            "{size: true, tags: [a, a, long], ports: [{port: 1}, {port: 1}], mode: c, template: {kind: 1, metadata: {labls: {}}}}",
        );
        let mut found: Vec<String> = invalid.errors.iter().map(ToString::to_string).collect();
        found.sort();
        assert_eq!(
            found,
            [
                "spec.mode: must match exactly one of oneOf, matches 0",
                "spec.ports[1]: duplicate entry with port=1",
                "spec.size: expected integer or string, got boolean",
                "spec.tags[1]: duplicate value \"a\"",
                "spec.tags[2]: 4 characters, at most 3 allowed",
                "spec.template.apiVersion: required field missing",
                "spec.template.kind: expected string, got integer",
                "spec.template.metadata.labls: unknown field",
            ]
        );
        let unserved = yaml("apiVersion: example.com/v1beta1\nkind: Widget\nmetadata: {name: w}\n");
        assert_eq!(
            crds.validate(&unserved).unwrap().errors[0].to_string(),
            "apiVersion: example.com/v1beta1 Widget: the CRD does not serve v1beta1"
        );
    }

    #[test]
    fn patterns_use_ascii_classes_as_go_does() {
        let digits = Regex::new(&as_re2(r"^\d+$")).unwrap();
        assert!(digits.is_match("42"));
        assert!(!digits.is_match("٤٢"));
        assert_eq!(as_re2(r"a\\d\."), r"a\\d\.");
    }

    #[test]
    fn names_follow_the_api_server_rules() {
        assert!(is_dns_subdomain("todo-db.example"));
        assert!(!is_dns_subdomain("todo_db"));
        assert!(!is_dns_subdomain("-todo"));
        assert!(is_dns_label("todo"));
        assert!(!is_dns_label("todo.db"));
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(!is_qualified_name("app.kubernetes.io/"));
        assert!(!is_qualified_name("a/b/c"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-x"));
    }
}
