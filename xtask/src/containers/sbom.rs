//! CycloneDX 1.6 SBOMs (JSON): for each image, the crates linked into its
//! binary and the Debian packages it ships, the image itself as the
//! subject; for the workspace, every crate in Cargo.lock. `cargo xtask
//! images` writes them to `.local/sbom/` and checks each against the
//! official CycloneDX schema before it calls the build done.
//!
//! Our own code rather than cargo-cyclonedx: that tool reads `cargo
//! metadata`, whose features are resolved for the whole workspace with its
//! tests, so it lists crates the binaries never link (sqlx-mysql in the
//! backend, about ten more in the frontend); it knows nothing of an image's
//! Debian packages; and it would be one more tool built from source.
//! `cargo tree`, given the Dockerfile's own package selection, resolves
//! features exactly as the image build does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::docker::docker;
use crate::support::process::{cargo, output, project_root};
use crate::support::tools;

pub const SPEC_VERSION: &str = "1.6";

/// Where the SBOMs go unless told otherwise (git-ignored, like all of
/// `.local/`).
pub fn default_dir() -> PathBuf {
    tools::local_dir().join("sbom")
}

/// A crate at one version: how `cargo tree`, `cargo metadata` and
/// Cargo.lock all name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Crate {
    pub name: String,
    pub version: String,
}

impl Crate {
    fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
        }
    }
}

/// Where a crate comes from, which decides its purl.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    CratesIo,
    /// A workspace crate, by its directory relative to the workspace root.
    Path(String),
    /// Any other source, as cargo names it (deny.toml refuses these).
    Other(String),
}

#[derive(Debug, Clone)]
struct Package {
    origin: Origin,
    license: Option<String>,
    repository: Option<String>,
    description: Option<String>,
}

/// What `cargo metadata` and Cargo.lock say about every crate of the
/// workspace, on every platform.
#[derive(Debug, Default)]
pub struct CrateFacts {
    packages: BTreeMap<Crate, Package>,
    /// The whole workspace's resolve: every kind of dependency.
    resolve: BTreeMap<Crate, BTreeSet<Crate>>,
    members: BTreeSet<Crate>,
    checksums: BTreeMap<Crate, String>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    workspace_root: String,
    resolve: Option<MetaResolve>,
}

#[derive(Deserialize)]
struct MetaPackage {
    id: String,
    name: String,
    version: String,
    source: Option<String>,
    license: Option<String>,
    repository: Option<String>,
    description: Option<String>,
    manifest_path: String,
}

#[derive(Deserialize)]
struct MetaResolve {
    nodes: Vec<MetaNode>,
}

#[derive(Deserialize)]
struct MetaNode {
    id: String,
    deps: Vec<MetaDep>,
}

#[derive(Deserialize)]
struct MetaDep {
    pkg: String,
}

impl CrateFacts {
    /// From `cargo metadata --format-version 1` and the text of Cargo.lock.
    pub fn parse(metadata: &str, lock: &str) -> anyhow::Result<Self> {
        let metadata: Metadata =
            serde_json::from_str(metadata).context("cargo metadata's output is not as expected")?;
        let root = Path::new(&metadata.workspace_root);
        let mut by_id = BTreeMap::new();
        let mut packages = BTreeMap::new();
        for package in metadata.packages {
            let krate = Crate::new(&package.name, &package.version);
            let origin = match package.source.as_deref() {
                None => {
                    let dir = Path::new(&package.manifest_path)
                        .parent()
                        .context("a manifest path without a directory")?;
                    let relative = dir.strip_prefix(root).unwrap_or(dir);
                    Origin::Path(relative.to_string_lossy().into_owned())
                }
                Some(source) if is_crates_io(source) => Origin::CratesIo,
                Some(other) => Origin::Other(other.to_owned()),
            };
            packages.insert(
                krate.clone(),
                Package {
                    origin,
                    license: package.license,
                    repository: package.repository,
                    description: package.description,
                },
            );
            by_id.insert(package.id, krate);
        }
        let find = |id: &str| {
            by_id
                .get(id)
                .cloned()
                .with_context(|| format!("cargo metadata names {id} but lists no such package"))
        };
        let mut resolve = BTreeMap::new();
        for node in metadata.resolve.map(|r| r.nodes).unwrap_or_default() {
            let deps = node
                .deps
                .iter()
                .map(|dep| find(&dep.pkg))
                .collect::<anyhow::Result<_>>()?;
            resolve.insert(find(&node.id)?, deps);
        }
        let members = metadata
            .workspace_members
            .iter()
            .map(|id| find(id))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            packages,
            resolve,
            members,
            checksums: lock_checksums(lock),
        })
    }

    /// `cargo metadata` for every platform, and Cargo.lock.
    fn gather() -> anyhow::Result<Self> {
        let metadata = output(cargo().args(["metadata", "--format-version", "1", "--locked"]))?;
        let lock_path = project_root().join("Cargo.lock");
        let lock = std::fs::read_to_string(&lock_path)
            .with_context(|| format!("cannot read {}", lock_path.display()))?;
        Self::parse(&metadata, &lock)
    }

    fn package(&self, krate: &Crate) -> anyhow::Result<&Package> {
        self.packages.get(krate).with_context(|| {
            format!(
                "cargo tree names {} {} but cargo metadata does not",
                krate.name, krate.version
            )
        })
    }
}

fn is_crates_io(source: &str) -> bool {
    source == "registry+https://github.com/rust-lang/crates.io-index"
        || source == "sparse+https://index.crates.io/"
}

/// `checksum`s of Cargo.lock's `[[package]]` entries: crates.io's SHA-256
/// of each `.crate` file.
fn lock_checksums(lock: &str) -> BTreeMap<Crate, String> {
    let mut checksums = BTreeMap::new();
    let (mut name, mut version, mut checksum) = (None, None, None);
    let mut flush =
        |name: &mut Option<String>, version: &mut Option<String>, checksum: &mut Option<String>| {
            if let (Some(n), Some(v), Some(c)) = (name.take(), version.take(), checksum.take()) {
                checksums.insert(
                    Crate {
                        name: n,
                        version: v,
                    },
                    c,
                );
            }
        };
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            flush(&mut name, &mut version, &mut checksum);
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let value = || Some(value.trim_matches('"').to_owned());
        match key {
            "name" => name = value(),
            "version" => version = value(),
            "checksum" => checksum = value(),
            _ => {}
        }
    }
    flush(&mut name, &mut version, &mut checksum);
    checksums
}

/// One binary's crates, as `cargo tree --prefix depth` prints them: its
/// root, every crate below it, and the edges between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub root: Crate,
    pub crates: BTreeSet<Crate>,
    pub edges: BTreeMap<Crate, BTreeSet<Crate>>,
}

/// Parses `cargo tree --prefix depth --format {p} --no-dedupe` with one
/// tree per `-p` package, each starting at depth 0.
pub fn parse_tree(text: &str) -> anyhow::Result<Vec<Linked>> {
    let mut trees: Vec<Linked> = Vec::new();
    let mut path: Vec<Crate> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let depth: usize = line[..digits]
            .parse()
            .with_context(|| format!("cargo tree line without a depth: {line:?}"))?;
        let mut words = line[digits..].split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            bail!("cargo tree line without a name and version: {line:?}");
        };
        let krate = Crate::new(name, version.trim_start_matches('v'));
        if depth == 0 {
            trees.push(Linked {
                root: krate.clone(),
                crates: BTreeSet::new(),
                edges: BTreeMap::new(),
            });
            path.clear();
        } else {
            let tree = trees
                .last_mut()
                .with_context(|| format!("cargo tree line before any root: {line:?}"))?;
            if depth > path.len() {
                bail!("cargo tree skips a level at {line:?}");
            }
            path.truncate(depth);
            let parent = path.last().expect("depth > 0 keeps the root").clone();
            tree.edges.entry(parent).or_default().insert(krate.clone());
            tree.crates.insert(krate.clone());
        }
        path.push(krate);
    }
    Ok(trees)
}

/// The crates linked into each of `packages`' binaries for `target`, with
/// features resolved as one `cargo build -p … -p …` (the Dockerfile's)
/// resolves them. Build scripts, proc macros and what only they use are
/// compiled but not linked, so they are left out.
fn linked(packages: &[&str], target: &str) -> anyhow::Result<Vec<Linked>> {
    let mut command = cargo();
    command.args(["tree", "--locked"]);
    for package in packages {
        command.args(["-p", package]);
    }
    command.args([
        "-e",
        "normal,no-proc-macro",
        "--target",
        target,
        "--prefix",
        "depth",
        "--format",
        "{p}",
        "--no-dedupe",
    ]);
    parse_tree(&output(&mut command)?)
}

/// A Debian package as the dpkg database records it; without a database
/// only its name is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebPackage {
    pub name: String,
    pub version: Option<String>,
    pub architecture: Option<String>,
    /// The source package, when it is named differently.
    pub source: Option<String>,
}

/// The installed packages of a dpkg status file: Debian's
/// `/var/lib/dpkg/status`, or one of distroless's `status.d/*` files.
pub fn parse_dpkg_status(text: &str) -> Vec<DebPackage> {
    let mut packages = Vec::new();
    for stanza in text.split("\n\n") {
        let mut fields = BTreeMap::new();
        for line in stanza.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                fields.insert(key.trim(), value.trim());
            }
        }
        let (Some(name), Some(version)) = (fields.get("Package"), fields.get("Version")) else {
            continue;
        };
        if fields
            .get("Status")
            .is_some_and(|status| !status.ends_with(" installed"))
        {
            continue;
        }
        packages.push(DebPackage {
            name: (*name).to_owned(),
            version: Some((*version).to_owned()),
            architecture: fields.get("Architecture").map(|a| (*a).to_owned()),
            // "Source: gcc-12 (12.2.0-14)": the name, without its version.
            source: fields
                .get("Source")
                .and_then(|s| s.split_whitespace().next())
                .map(str::to_owned),
        });
    }
    packages
}

/// The licences a machine-readable Debian copyright file names (its
/// `License:` fields' short names), in order, once each; none for a
/// free-form file.
pub fn copyright_licenses(text: &str) -> Vec<String> {
    let mut licenses: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("License:") {
            let name = name.trim();
            if !name.is_empty() && !licenses.iter().any(|l| l == name) {
                licenses.push(name.to_owned());
            }
        }
    }
    licenses
}

/// A Debian licence short name as CycloneDX says it: an SPDX id where one
/// means exactly the same, else the name as written.
fn debian_license(name: &str) -> Value {
    let spdx = match name {
        "GPL-2" => Some("GPL-2.0-only"),
        "GPL-2+" => Some("GPL-2.0-or-later"),
        "GPL-3" => Some("GPL-3.0-only"),
        "GPL-3+" => Some("GPL-3.0-or-later"),
        "LGPL-2.1" => Some("LGPL-2.1-only"),
        "LGPL-2.1+" => Some("LGPL-2.1-or-later"),
        "LGPL-3" => Some("LGPL-3.0-only"),
        "LGPL-3+" => Some("LGPL-3.0-or-later"),
        "MPL-2.0" => Some("MPL-2.0"),
        "Apache-2.0" => Some("Apache-2.0"),
        "Expat" | "MIT" => Some("MIT"),
        "BSD-2-clause" | "BSD-2-Clause" => Some("BSD-2-Clause"),
        "BSD-3-clause" | "BSD-3-Clause" => Some("BSD-3-Clause"),
        "PostgreSQL" => Some("PostgreSQL"),
        "ISC" => Some("ISC"),
        "Zlib" => Some("Zlib"),
        _ => None,
    };
    match spdx {
        Some(id) => json!({ "license": { "id": id } }),
        None => json!({ "license": { "name": name } }),
    }
}

/// `ID` and `VERSION_ID` of an os-release file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsRelease {
    pub id: String,
    pub version_id: Option<String>,
}

pub fn parse_os_release(text: &str) -> OsRelease {
    let field = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
    };
    OsRelease {
        id: field("ID").unwrap_or_else(|| "linux".to_owned()),
        version_id: field("VERSION_ID"),
    }
}

/// What a built image is and holds, read from the image store and from
/// its files.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    /// `name:tag`, as built.
    pub reference: String,
    /// The image id (`sha256:…`): its config digest.
    pub id: String,
    /// `name@sha256:…` of a pushed image; none for one only built here.
    pub repo_digests: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub labels: BTreeMap<String, String>,
    pub os_release: OsRelease,
    pub packages: Vec<DebPackage>,
    /// Licences by package, from the copyright files.
    pub licenses: BTreeMap<String, Vec<String>>,
    /// Whether `packages` came from a dpkg database (with versions) rather
    /// than from the copyright files alone.
    pub from_dpkg: bool,
}

impl ImageFacts {
    fn platform(&self) -> String {
        format!("{}/{}", self.os, self.architecture)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspect {
    id: String,
    #[serde(default)]
    repo_digests: Vec<String>,
    os: String,
    architecture: String,
    config: InspectConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectConfig {
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// A container created (never started) to copy files out of an image,
/// removed when dropped.
struct Created(String);

impl Drop for Created {
    fn drop(&mut self) {
        let _ = output(docker().args(["rm", &self.0]));
    }
}

impl Created {
    /// Copies `path` (following a final symlink) to `to`; `false` when the
    /// image has no such file.
    fn copy(&self, path: &str, to: &Path) -> anyhow::Result<bool> {
        match output(
            docker()
                .args(["cp", "-L", &format!("{}:{path}", self.0)])
                .arg(to),
        ) {
            Ok(_) => Ok(true),
            Err(e) => {
                let said = format!("{e:#}");
                if said.contains("Could not find the file") || said.contains("No such") {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Reads what the SBOM says about `image` from the image store and the
/// image's own files: its dpkg database (Debian's `status` file, or
/// distroless's `status.d/`), the copyright files, os-release.
pub fn inspect_image(image: &str) -> anyhow::Result<ImageFacts> {
    let inspected = output(docker().args(["image", "inspect", "--format", "{{json .}}", image]))?;
    let inspected: Inspect = serde_json::from_str(&inspected)
        .with_context(|| format!("docker image inspect {image}: unexpected output"))?;
    let copied = tempfile::Builder::new().prefix("todo-sbom-").tempdir()?;
    let dir = copied.path();
    let container = Created(output(docker().args(["create", image]))?.trim().to_owned());
    let os_release = if container.copy("/etc/os-release", &dir.join("os-release"))?
        || container.copy("/usr/lib/os-release", &dir.join("os-release"))?
    {
        parse_os_release(&std::fs::read_to_string(dir.join("os-release"))?)
    } else {
        bail!("{image} has no os-release: cannot tell which distribution its packages are from");
    };
    let mut packages = Vec::new();
    if container.copy("/var/lib/dpkg/status", &dir.join("status"))? {
        packages.extend(parse_dpkg_status(&std::fs::read_to_string(
            dir.join("status"),
        )?));
    }
    if container.copy("/var/lib/dpkg/status.d", &dir.join("status.d"))? {
        for file in sorted_entries(&dir.join("status.d"))? {
            if file.extension().is_some_and(|e| e == "md5sums") {
                continue;
            }
            packages.extend(parse_dpkg_status(&std::fs::read_to_string(&file)?));
        }
    }
    let from_dpkg = !packages.is_empty();
    let mut licenses = BTreeMap::new();
    let docs = dir.join("doc");
    if container.copy("/usr/share/doc", &docs)? {
        for package in sorted_entries(&docs)? {
            let Ok(text) = std::fs::read_to_string(package.join("copyright")) else {
                continue;
            };
            let name = package
                .file_name()
                .expect("a directory entry has a name")
                .to_string_lossy()
                .into_owned();
            if !from_dpkg {
                packages.push(DebPackage {
                    name: name.clone(),
                    version: None,
                    architecture: None,
                    source: None,
                });
            }
            licenses.insert(name, copyright_licenses(&text));
        }
    }
    packages.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
    packages.dedup();
    Ok(ImageFacts {
        reference: image.to_owned(),
        id: inspected.id,
        repo_digests: inspected.repo_digests,
        os: inspected.os,
        architecture: inspected.architecture,
        labels: inspected.config.labels.unwrap_or_default(),
        os_release,
        packages,
        licenses,
        from_dpkg,
    })
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    Ok(entries)
}

/// The Rust target the images are built for, by Docker's platform name.
pub fn rust_target(platform: &str) -> anyhow::Result<&'static str> {
    match platform {
        "linux/amd64" => Ok("x86_64-unknown-linux-gnu"),
        "linux/arm64" | "linux/arm64/v8" => Ok("aarch64-unknown-linux-gnu"),
        other => bail!("no Rust target known for the platform {other}"),
    }
}

/// Percent-encodes a purl segment: everything but unreserved characters.
fn purl_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn crate_purl(krate: &Crate, origin: &Origin) -> String {
    let base = format!(
        "pkg:cargo/{}@{}",
        purl_encode(&krate.name),
        purl_encode(&krate.version)
    );
    match origin {
        Origin::CratesIo => base,
        Origin::Path(dir) => format!(
            "{base}?download_url={}",
            purl_encode(&format!("file://{dir}"))
        ),
        Origin::Other(source) => format!("{base}?download_url={}", purl_encode(source)),
    }
}

/// `pkg:oci/<last name segment>@<digest>`, the rest of the name as
/// `repository_url`.
fn oci_purl(name: &str, digest: &str, architecture: &str, tag: &str) -> String {
    let short = name.rsplit('/').next().unwrap_or(name);
    let mut qualifiers = vec![format!("arch={}", purl_encode(architecture))];
    if name.contains('/') {
        qualifiers.push(format!("repository_url={}", purl_encode(name)));
    }
    qualifiers.push(format!("tag={}", purl_encode(tag)));
    format!(
        "pkg:oci/{}@{}?{}",
        purl_encode(short),
        purl_encode(digest),
        qualifiers.join("&")
    )
}

fn deb_purl(package: &DebPackage, os: &OsRelease) -> String {
    let mut purl = format!(
        "pkg:deb/{}/{}",
        purl_encode(&os.id),
        purl_encode(&package.name)
    );
    if let Some(version) = &package.version {
        purl.push('@');
        purl.push_str(&purl_encode(version));
    }
    // Qualifiers in the canonical, alphabetical order.
    let mut qualifiers = Vec::new();
    if let Some(arch) = &package.architecture {
        qualifiers.push(format!("arch={}", purl_encode(arch)));
    }
    if let Some(version) = &os.version_id {
        qualifiers.push(format!(
            "distro={}",
            purl_encode(&format!("{}-{version}", os.id))
        ));
    }
    if let Some(source) = package.source.as_ref().filter(|s| **s != package.name) {
        qualifiers.push(format!("upstream={}", purl_encode(source)));
    }
    if !qualifiers.is_empty() {
        purl.push('?');
        purl.push_str(&qualifiers.join("&"));
    }
    purl
}

/// cargo's licence field as an SPDX expression: the old `MIT/Apache-2.0`
/// form means OR.
fn spdx_expression(license: &str) -> String {
    license
        .replace('/', " OR ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn crate_component(
    facts: &CrateFacts,
    krate: &Crate,
    kind: &str,
) -> anyhow::Result<(String, Value)> {
    let package = facts.package(krate)?;
    let purl = crate_purl(krate, &package.origin);
    let mut component = json!({
        "type": kind,
        "bom-ref": purl,
        "name": krate.name,
        "version": krate.version,
        "purl": purl,
    });
    if let Some(license) = &package.license {
        component["licenses"] = json!([{ "expression": spdx_expression(license) }]);
    }
    if let Some(checksum) = facts.checksums.get(krate) {
        component["hashes"] = json!([{ "alg": "SHA-256", "content": checksum }]);
    }
    if let Some(description) = &package.description {
        component["description"] =
            json!(description.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if let Some(repository) = package
        .repository
        .as_ref()
        .filter(|r| r.starts_with("https://") && !r.contains(char::is_whitespace))
    {
        component["externalReferences"] = json!([{ "type": "vcs", "url": repository }]);
    }
    Ok((purl, component))
}

/// The components and dependency edges of one binary's crates.
fn binary_parts(
    facts: &CrateFacts,
    binary: &Linked,
) -> anyhow::Result<(Value, Vec<Value>, Vec<Value>)> {
    let mut refs = BTreeMap::new();
    let (root_ref, root) = crate_component(facts, &binary.root, "application")?;
    refs.insert(binary.root.clone(), root_ref);
    let mut components = Vec::new();
    for krate in &binary.crates {
        let (bom_ref, component) = crate_component(facts, krate, "library")?;
        refs.insert(krate.clone(), bom_ref);
        components.push(component);
    }
    let mut dependencies = Vec::new();
    for (from, to) in &binary.edges {
        dependencies.push(json!({
            "ref": refs[from],
            "dependsOn": to.iter().map(|c| refs[c].clone()).collect::<Vec<_>>(),
        }));
    }
    Ok((root, components, dependencies))
}

/// Who made the document and when.
fn metadata(now: &str, component: Value, properties: Vec<Value>) -> Value {
    let mut metadata = json!({
        "timestamp": now,
        "tools": { "components": [{
            "type": "application",
            "name": "cargo xtask images",
            "version": env!("CARGO_PKG_VERSION"),
        }]},
        "component": component,
    });
    if !properties.is_empty() {
        metadata["properties"] = Value::Array(properties);
    }
    metadata
}

fn bom(metadata: Value, components: Vec<Value>, dependencies: Vec<Value>) -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    })
}

fn property(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// An image's SBOM: the image as its subject, the binary's crates and the
/// image's Debian packages as its components.
pub fn image_bom(
    image: &ImageFacts,
    binary: &Linked,
    facts: &CrateFacts,
    base: &str,
    now: &str,
) -> anyhow::Result<Value> {
    let (name, tag) = image
        .reference
        .rsplit_once(':')
        .unwrap_or((&image.reference, "latest"));
    let digest = image
        .repo_digests
        .first()
        .and_then(|d| d.rsplit_once('@'))
        .map_or(image.id.as_str(), |(_, digest)| digest);
    let subject = json!({
        "type": "container",
        "bom-ref": "image",
        "name": name,
        "version": tag,
        "purl": oci_purl(name, digest, &image.architecture, tag),
    });
    let mut properties = vec![
        property("oci:image:id", &image.id),
        property("oci:image:platform", &image.platform()),
        property("todo:base-image", base),
    ];
    for digest in &image.repo_digests {
        properties.push(property("oci:image:repo-digest", digest));
    }
    if let Some(revision) = image.labels.get("org.opencontainers.image.revision") {
        properties.push(property("todo:revision", revision));
    }
    if let Some(role) = image.labels.get("dev.todo.stand-in") {
        properties.push(property("todo:base-stand-in", role));
    }
    if !image.from_dpkg {
        properties.push(property(
            "todo:debian-versions",
            "unknown: the base keeps no dpkg database; its packages are named by their copyright files",
        ));
    }
    let (binary_component, crates, mut dependencies) = binary_parts(facts, binary)?;
    let binary_ref = binary_component["bom-ref"].clone();
    let os_ref = format!(
        "os:{}-{}",
        image.os_release.id,
        image.os_release.version_id.as_deref().unwrap_or("unknown")
    );
    let mut os = json!({
        "type": "operating-system",
        "bom-ref": os_ref,
        "name": image.os_release.id,
    });
    if let Some(version) = &image.os_release.version_id {
        os["version"] = json!(version);
    }
    let mut components = vec![binary_component, os];
    components.extend(crates);
    let mut image_needs = vec![binary_ref, json!(os_ref)];
    let mut packages = Vec::new();
    for package in &image.packages {
        let purl = deb_purl(package, &image.os_release);
        let mut component = json!({
            "type": "library",
            "bom-ref": purl,
            "name": package.name,
            "purl": purl,
        });
        if let Some(version) = &package.version {
            component["version"] = json!(version);
        }
        // Two spellings of one licence map to one id: list it once.
        let mut licenses: Vec<Value> = Vec::new();
        for name in image.licenses.get(&package.name).into_iter().flatten() {
            let license = debian_license(name);
            if !licenses.contains(&license) {
                licenses.push(license);
            }
        }
        if !licenses.is_empty() {
            component["licenses"] = Value::Array(licenses);
        }
        image_needs.push(json!(purl));
        packages.push(json!(purl));
        components.push(component);
    }
    dependencies.insert(0, json!({ "ref": "image", "dependsOn": image_needs }));
    dependencies.push(json!({ "ref": os_ref, "dependsOn": packages }));
    Ok(bom(
        metadata(now, subject, properties),
        components,
        dependencies,
    ))
}

/// A binary's SBOM without an image: its crates for one platform (the
/// release workflow's, whose images are built by buildx).
pub fn binary_bom(
    binary: &Linked,
    facts: &CrateFacts,
    platform: &str,
    now: &str,
) -> anyhow::Result<Value> {
    let (subject, components, dependencies) = binary_parts(facts, binary)?;
    Ok(bom(
        metadata(now, subject, vec![property("todo:platform", platform)]),
        components,
        dependencies,
    ))
}

/// The workspace's SBOM: every crate of Cargo.lock, for every platform and
/// every kind of dependency (build and dev included), the workspace's own
/// crates among them.
pub fn workspace_bom(facts: &CrateFacts, version: &str, now: &str) -> anyhow::Result<Value> {
    let subject = json!({
        "type": "application",
        "bom-ref": "workspace",
        "name": "todo",
        "version": version,
    });
    let mut refs = BTreeMap::new();
    let mut components = Vec::new();
    for krate in facts.packages.keys() {
        let kind = if facts.members.contains(krate) {
            "application"
        } else {
            "library"
        };
        let (bom_ref, component) = crate_component(facts, krate, kind)?;
        refs.insert(krate.clone(), bom_ref);
        components.push(component);
    }
    let mut dependencies = vec![json!({
        "ref": "workspace",
        "dependsOn": facts.members.iter().map(|m| refs[m].clone()).collect::<Vec<_>>(),
    })];
    for (from, to) in &facts.resolve {
        if to.is_empty() {
            continue;
        }
        dependencies.push(json!({
            "ref": refs[from],
            "dependsOn": to.iter().map(|c| refs[c].clone()).collect::<Vec<_>>(),
        }));
    }
    Ok(bom(
        metadata(now, subject, Vec::new()),
        components,
        dependencies,
    ))
}

/// What the CycloneDX 1.6 schema requires of what we write, checked
/// without Python: the document's fields, each component's type, name
/// and licence shape, unique refs, and dependencies that name components.
/// The official schema is checked too, afterwards ([`check_schema`]).
pub fn check_shape(bom: &Value) -> Result<(), Vec<String>> {
    const TYPES: [&str; 13] = [
        "application",
        "framework",
        "library",
        "container",
        "platform",
        "operating-system",
        "device",
        "device-driver",
        "firmware",
        "file",
        "machine-learning-model",
        "data",
        "cryptographic-asset",
    ];
    let mut problems = Vec::new();
    if bom["bomFormat"] != "CycloneDX" {
        problems.push("bomFormat is not \"CycloneDX\"".to_owned());
    }
    if bom["specVersion"] != SPEC_VERSION {
        problems.push(format!("specVersion is not {SPEC_VERSION:?}"));
    }
    if bom["version"].as_u64().is_none_or(|v| v < 1) {
        problems.push("version is not an integer of at least 1".to_owned());
    }
    let mut refs = BTreeSet::new();
    let mut check_component = |where_: &str, component: &Value, problems: &mut Vec<String>| {
        if !component["type"]
            .as_str()
            .is_some_and(|t| TYPES.contains(&t))
        {
            problems.push(format!("{where_}: no valid type"));
        }
        if component["name"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{where_}: no name"));
        }
        if let Some(bom_ref) = component.get("bom-ref") {
            match bom_ref.as_str() {
                Some(r) if !r.is_empty() => {
                    if !refs.insert(r.to_owned()) {
                        problems.push(format!("{where_}: bom-ref {r} is not unique"));
                    }
                }
                _ => problems.push(format!("{where_}: an empty bom-ref")),
            }
        }
        if let Some(purl) = component.get("purl")
            && !purl
                .as_str()
                .and_then(|p| p.strip_prefix("pkg:"))
                .is_some_and(|p| {
                    p.split_once('/')
                        .is_some_and(|(t, n)| !t.is_empty() && !n.is_empty())
                })
        {
            problems.push(format!("{where_}: purl {purl} is not pkg:type/name"));
        }
        if let Some(licenses) = component.get("licenses") {
            let valid = licenses.as_array().is_some_and(|all| {
                let expression = |l: &Value| l.get("expression").is_some_and(Value::is_string);
                let license = |l: &Value| {
                    let l = &l["license"];
                    l.get("id").is_some_and(Value::is_string)
                        != l.get("name").is_some_and(Value::is_string)
                };
                (all.len() == 1 && expression(&all[0]))
                    || (!all.is_empty() && all.iter().all(license))
            });
            if !valid {
                problems.push(format!(
                    "{where_}: licenses are neither one expression nor licenses with an id or a name"
                ));
            }
        }
        if let Some(hashes) = component.get("hashes") {
            let valid = hashes.as_array().is_some_and(|all| {
                all.iter().all(|h| {
                    h["alg"] == "SHA-256"
                        && h["content"].as_str().is_some_and(|c| {
                            c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit())
                        })
                })
            });
            if !valid {
                problems.push(format!("{where_}: a hash is not a SHA-256"));
            }
        }
    };
    let subject = &bom["metadata"]["component"];
    if subject.is_null() {
        problems.push("metadata.component: missing".to_owned());
    } else {
        check_component("metadata.component", subject, &mut problems);
    }
    if !bom["metadata"]["timestamp"].is_string() {
        problems.push("metadata.timestamp: missing".to_owned());
    }
    match bom["components"].as_array() {
        Some(components) => {
            for (i, component) in components.iter().enumerate() {
                check_component(&format!("components[{i}]"), component, &mut problems);
            }
        }
        None => problems.push("components: not an array".to_owned()),
    }
    let mut seen = BTreeSet::new();
    for (i, dependency) in bom["dependencies"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(from) = dependency["ref"].as_str() else {
            problems.push(format!("dependencies[{i}]: no ref"));
            continue;
        };
        if !seen.insert(from) {
            problems.push(format!("dependencies[{i}]: {from} is listed twice"));
        }
        let targets = dependency["dependsOn"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for to in std::iter::once(from).chain(targets.iter().filter_map(Value::as_str)) {
            if !refs.contains(to) {
                problems.push(format!("dependencies[{i}]: {to} names no component"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Checks `files` against the official CycloneDX 1.6 JSON schema, with the
/// project's pinned check-jsonschema.
pub fn check_schema(files: &[PathBuf]) -> anyhow::Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let schema = tools::cyclonedx_schema()?;
    let validator = tools::CHECK_JSONSCHEMA.ensure()?;
    output(
        Command::new(validator)
            .arg("--schemafile")
            .arg(&schema)
            .args(files),
    )
    .context("an SBOM does not match the CycloneDX 1.6 JSON schema")?;
    Ok(())
}

/// An SBOM on disk, for the report.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub crates: usize,
    pub debian: usize,
    pub bytes: u64,
}

/// The SBOMs of one `cargo xtask images` run: the facts are gathered once,
/// each document is checked for shape as it is written, and all of them
/// against the official schema at the end.
pub struct Session {
    dir: PathBuf,
    facts: CrateFacts,
    /// `cargo tree` per Rust target: both images share one.
    linked: BTreeMap<String, Vec<Linked>>,
    packages: Vec<String>,
    now: String,
    written: Vec<Written>,
}

impl Session {
    /// `packages` are the binaries' packages, as the Dockerfile builds
    /// them together.
    pub fn start(dir: &Path, packages: &[&str]) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the SBOM directory {}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            facts: CrateFacts::gather()?,
            linked: BTreeMap::new(),
            packages: packages.iter().map(|p| (*p).to_owned()).collect(),
            now: now(),
            written: Vec::new(),
        })
    }

    fn binary(&mut self, package: &str, platform: &str) -> anyhow::Result<Linked> {
        let target = rust_target(platform)?;
        if !self.linked.contains_key(target) {
            let packages: Vec<&str> = self.packages.iter().map(String::as_str).collect();
            self.linked
                .insert(target.to_owned(), linked(&packages, target)?);
        }
        self.linked[target]
            .iter()
            .find(|tree| tree.root.name == package)
            .cloned()
            .with_context(|| format!("cargo tree printed no tree for {package}"))
    }

    /// The SBOM of the image `reference` (`name:tag`), whose binary is the
    /// package `package`, built on `base`.
    pub fn image(&mut self, reference: &str, package: &str, base: &str) -> anyhow::Result<()> {
        let image = inspect_image(reference)?;
        if !image.from_dpkg {
            eprintln!(
                "images: {reference}'s base keeps no dpkg database (a local stand-in): its Debian \
                 packages are named by their copyright files, without versions"
            );
        }
        let binary = self.binary(package, &image.platform())?;
        let bom = image_bom(&image, &binary, &self.facts, base, &self.now)?;
        let file = format!("{}.cdx.json", reference.replace([':', '/'], "-"));
        self.write(&file, &bom)
    }

    /// The SBOM of `package`'s binary for `platform`, without an image.
    pub fn binary_only(
        &mut self,
        package: &str,
        version: &str,
        platform: &str,
    ) -> anyhow::Result<()> {
        let binary = self.binary(package, platform)?;
        let bom = binary_bom(&binary, &self.facts, platform, &self.now)?;
        let file = format!(
            "{package}-{version}-{}.cdx.json",
            platform.replace('/', "-")
        );
        self.write(&file, &bom)
    }

    pub fn workspace(&mut self, version: &str) -> anyhow::Result<()> {
        let bom = workspace_bom(&self.facts, version, &self.now)?;
        self.write(&format!("workspace-{version}.cdx.json"), &bom)
    }

    fn write(&mut self, file: &str, bom: &Value) -> anyhow::Result<()> {
        check_shape(bom).map_err(|problems| {
            anyhow::anyhow!("the SBOM {file} is malformed:\n  {}", problems.join("\n  "))
        })?;
        let path = self.dir.join(file);
        let text = serde_json::to_string_pretty(bom)?;
        std::fs::write(&path, &text)
            .with_context(|| format!("cannot write the SBOM {}", path.display()))?;
        let count = |prefix: &str| {
            bom["components"].as_array().map_or(0, |all| {
                all.iter()
                    .filter(|c| c["purl"].as_str().is_some_and(|p| p.starts_with(prefix)))
                    .count()
            })
        };
        self.written.push(Written {
            path,
            crates: count("pkg:cargo/"),
            debian: count("pkg:deb/"),
            bytes: text.len() as u64,
        });
        Ok(())
    }

    /// Checks everything written against the official schema and says
    /// what was written.
    pub fn finish(self) -> anyhow::Result<Vec<Written>> {
        let paths: Vec<PathBuf> = self.written.iter().map(|w| w.path.clone()).collect();
        check_schema(&paths)?;
        eprintln!(
            "\nimages: SBOMs (CycloneDX {SPEC_VERSION}, valid against its JSON schema) in {}:",
            self.dir.display()
        );
        for written in &self.written {
            eprintln!(
                "  {:<48} {:>4} crates {:>3} Debian packages {:>8.1} KB",
                written
                    .path
                    .file_name()
                    .expect("a file path")
                    .to_string_lossy(),
                written.crates,
                written.debian,
                written.bytes as f64 / 1e3
            );
        }
        Ok(self.written)
    }
}

/// Now, or `SOURCE_DATE_EPOCH` when set (reproducible builds), in RFC 3339.
fn now() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    rfc3339(seconds)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (the days-to-civil
/// conversion of the proleptic Gregorian calendar).
fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace of two crates: the backend binary and an API library;
    /// serde and ring from crates.io, an old-style licence, and a
    /// dev-only crate that the binary does not link.
    const METADATA: &str = r#"{
      "workspace_root": "/src",
      "workspace_members": [
        "path+file:///src/backend#todo-backend@0.1.0",
        "path+file:///src/backend/api#todo-api@0.1.0"
      ],
      "packages": [
        {"id": "path+file:///src/backend#todo-backend@0.1.0", "name": "todo-backend",
         "version": "0.1.0", "source": null, "license": "MIT OR Apache-2.0",
         "repository": null, "description": "The Todo REST API.",
         "manifest_path": "/src/backend/Cargo.toml"},
        {"id": "path+file:///src/backend/api#todo-api@0.1.0", "name": "todo-api",
         "version": "0.1.0", "source": null, "license": "MIT OR Apache-2.0",
         "repository": null, "description": null,
         "manifest_path": "/src/backend/api/Cargo.toml"},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228",
         "name": "serde", "version": "1.0.228",
         "source": "registry+https://github.com/rust-lang/crates.io-index",
         "license": "MIT OR Apache-2.0", "repository": "https://github.com/serde-rs/serde",
         "description": "A generic serialization/deserialization framework",
         "manifest_path": "/registry/serde-1.0.228/Cargo.toml"},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#ring@0.17.14",
         "name": "ring", "version": "0.17.14",
         "source": "registry+https://github.com/rust-lang/crates.io-index",
         "license": "Apache-2.0 AND ISC", "repository": "https://github.com/briansmith/ring",
         "description": null, "manifest_path": "/registry/ring-0.17.14/Cargo.toml"},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#semver-parser@0.7.0+build.1",
         "name": "semver-parser", "version": "0.7.0+build.1",
         "source": "registry+https://github.com/rust-lang/crates.io-index",
         "license": "MIT/Apache-2.0", "repository": null, "description": null,
         "manifest_path": "/registry/semver-parser-0.7.0/Cargo.toml"},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#pretty_assertions@1.4.1",
         "name": "pretty_assertions", "version": "1.4.1",
         "source": "registry+https://github.com/rust-lang/crates.io-index",
         "license": "MIT OR Apache-2.0", "repository": null, "description": null,
         "manifest_path": "/registry/pretty_assertions-1.4.1/Cargo.toml"}
      ],
      "resolve": {"nodes": [
        {"id": "path+file:///src/backend#todo-backend@0.1.0", "deps": [
          {"pkg": "path+file:///src/backend/api#todo-api@0.1.0"},
          {"pkg": "registry+https://github.com/rust-lang/crates.io-index#ring@0.17.14"},
          {"pkg": "registry+https://github.com/rust-lang/crates.io-index#pretty_assertions@1.4.1"}]},
        {"id": "path+file:///src/backend/api#todo-api@0.1.0", "deps": [
          {"pkg": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228"},
          {"pkg": "registry+https://github.com/rust-lang/crates.io-index#semver-parser@0.7.0+build.1"}]},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228", "deps": []},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#ring@0.17.14", "deps": []},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#semver-parser@0.7.0+build.1", "deps": []},
        {"id": "registry+https://github.com/rust-lang/crates.io-index#pretty_assertions@1.4.1", "deps": []}
      ]}
    }"#;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "ring"
version = "0.17.14"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "a4689e6c2294d81e88dc6261c768b63bc4fcdb852be6d1352498b114f61383b7"
dependencies = [
 "cc",
]

[[package]]
name = "serde"
version = "1.0.228"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e"

[[package]]
name = "todo-api"
version = "0.1.0"
"#;

    /// `cargo tree --prefix depth --format {p} --no-dedupe -e normal,no-proc-macro`.
    const TREE: &str = "\
0todo-backend v0.1.0 (/src/backend)
1todo-api v0.1.0 (/src/backend/api)
2serde v1.0.228
2semver-parser v0.7.0+build.1
1ring v0.17.14
";

    const STATUS: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14+deb12u1)
Version: 12.2.0-14+deb12u1

Package: removed-long-ago
Status: deinstall ok config-files
Architecture: amd64
Version: 1:1.0-1

Package: tzdata
Architecture: all
Version: 2025b-0+deb12u2
";

    const COPYRIGHT: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tzcode

Files: *
Copyright: 1996-2011 Arthur David Olson
License: public-domain
 This file is in the public domain.

Files: debian/*
License: GPL-2+
 On Debian systems ...
";

    fn facts() -> CrateFacts {
        CrateFacts::parse(METADATA, LOCK).unwrap()
    }

    fn backend() -> Linked {
        parse_tree(TREE).unwrap().remove(0)
    }

    fn image() -> ImageFacts {
        let packages = parse_dpkg_status(STATUS);
        ImageFacts {
            reference: "todo-backend:0.1.0-abc1234".to_owned(),
            id: format!("sha256:{}", "ab".repeat(32)),
            repo_digests: Vec::new(),
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            labels: BTreeMap::from([(
                "org.opencontainers.image.revision".to_owned(),
                "abc1234".to_owned(),
            )]),
            os_release: parse_os_release(
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
            ),
            packages,
            licenses: BTreeMap::from([("tzdata".to_owned(), copyright_licenses(COPYRIGHT))]),
            from_dpkg: true,
        }
    }

    fn purls(bom: &Value) -> Vec<String> {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn a_tree_gives_each_binary_its_crates_and_edges() {
        let trees = parse_tree(&format!(
            "{TREE}\n0todo-frontend v0.1.0 (/src/frontend)\n1serde v1.0.228\n"
        ))
        .unwrap();
        assert_eq!(trees.len(), 2);
        let backend = &trees[0];
        assert_eq!(backend.root, Crate::new("todo-backend", "0.1.0"));
        assert_eq!(backend.crates.len(), 4);
        assert!(
            backend
                .crates
                .contains(&Crate::new("semver-parser", "0.7.0+build.1"))
        );
        assert_eq!(
            backend.edges[&Crate::new("todo-api", "0.1.0")],
            BTreeSet::from([
                Crate::new("serde", "1.0.228"),
                Crate::new("semver-parser", "0.7.0+build.1")
            ])
        );
        assert_eq!(
            backend.edges[&backend.root],
            BTreeSet::from([
                Crate::new("todo-api", "0.1.0"),
                Crate::new("ring", "0.17.14")
            ])
        );
        assert_eq!(
            trees[1].crates,
            BTreeSet::from([Crate::new("serde", "1.0.228")])
        );
        assert!(parse_tree("1orphan v1.0.0\n").is_err());
        assert!(parse_tree("0root v1.0.0\n2skipped v1.0.0\n").is_err());
    }

    #[test]
    fn metadata_and_the_lock_file_say_where_each_crate_is_from() {
        let facts = facts();
        let api = &facts.packages[&Crate::new("todo-api", "0.1.0")];
        assert_eq!(api.origin, Origin::Path("backend/api".to_owned()));
        assert_eq!(
            facts.packages[&Crate::new("serde", "1.0.228")].origin,
            Origin::CratesIo
        );
        assert_eq!(facts.members.len(), 2);
        assert_eq!(
            facts.checksums.len(),
            2,
            "todo-api has no checksum: {:?}",
            facts.checksums
        );
        assert!(facts.checksums[&Crate::new("ring", "0.17.14")].starts_with("a4689e6c"));
        assert_eq!(spdx_expression("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(spdx_expression("Apache-2.0 / MIT"), "Apache-2.0 OR MIT");
    }

    #[test]
    fn only_installed_packages_are_read_from_dpkg_status() {
        let packages = parse_dpkg_status(STATUS);
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libc6", "libgcc-s1", "tzdata"]);
        assert_eq!(packages[0].version.as_deref(), Some("2.36-9+deb12u10"));
        assert_eq!(packages[0].source.as_deref(), Some("glibc"));
        assert_eq!(packages[1].source.as_deref(), Some("gcc-12"));
        assert_eq!(packages[2].architecture.as_deref(), Some("all"));
        // A distroless status.d/*.md5sums file is no stanza.
        assert!(parse_dpkg_status("d41d8cd98f00b204e9800998ecf8427e  usr/lib/x.so\n").is_empty());
    }

    #[test]
    fn copyright_files_name_licences_as_spdx_where_they_can() {
        assert_eq!(copyright_licenses(COPYRIGHT), ["public-domain", "GPL-2+"]);
        assert_eq!(
            copyright_licenses("This is free software; see GPL-2.\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            debian_license("GPL-2+"),
            json!({"license": {"id": "GPL-2.0-or-later"}})
        );
        assert_eq!(
            debian_license("BSD-3-clause"),
            debian_license("BSD-3-Clause")
        );
        assert_eq!(
            debian_license("public-domain"),
            json!({"license": {"name": "public-domain"}})
        );
    }

    #[test]
    fn purls_encode_what_the_spec_asks() {
        let os = parse_os_release("ID=debian\nVERSION_ID=\"12\"\n");
        let libc = &parse_dpkg_status(STATUS)[0];
        assert_eq!(
            deb_purl(libc, &os),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12&upstream=glibc"
        );
        let epoch = DebPackage {
            name: "tar".to_owned(),
            version: Some("1:1.34+dfsg-1".to_owned()),
            architecture: None,
            source: None,
        };
        assert_eq!(
            deb_purl(&epoch, &os),
            "pkg:deb/debian/tar@1%3A1.34%2Bdfsg-1?distro=debian-12"
        );
        assert_eq!(
            crate_purl(
                &Crate::new("semver-parser", "0.7.0+build.1"),
                &Origin::CratesIo
            ),
            "pkg:cargo/semver-parser@0.7.0%2Bbuild.1"
        );
        assert_eq!(
            crate_purl(
                &Crate::new("todo-api", "0.1.0"),
                &Origin::Path("backend/api".to_owned())
            ),
            "pkg:cargo/todo-api@0.1.0?download_url=file%3A%2F%2Fbackend%2Fapi"
        );
    }

    #[test]
    fn an_image_sbom_holds_the_binarys_crates_and_the_bases_packages() {
        let bom = image_bom(
            &image(),
            &backend(),
            &facts(),
            "gcr.io/distroless/cc-debian12:nonroot",
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
        check_shape(&bom).unwrap();
        let subject = &bom["metadata"]["component"];
        assert_eq!(subject["type"], "container");
        assert_eq!(subject["name"], "todo-backend");
        assert_eq!(subject["version"], "0.1.0-abc1234");
        assert_eq!(
            subject["purl"],
            format!(
                "pkg:oci/todo-backend@sha256%3A{}?arch=amd64&tag=0.1.0-abc1234",
                "ab".repeat(32)
            )
        );
        let purls = purls(&bom);
        // The binary, its four crates (not the dev-only one), three packages.
        assert_eq!(
            purls.iter().filter(|p| p.starts_with("pkg:cargo/")).count(),
            5
        );
        assert_eq!(
            purls.iter().filter(|p| p.starts_with("pkg:deb/")).count(),
            3
        );
        assert!(!purls.iter().any(|p| p.contains("pretty_assertions")));
        let components = bom["components"].as_array().unwrap();
        let ring = components.iter().find(|c| c["name"] == "ring").unwrap();
        assert_eq!(
            ring["licenses"],
            json!([{"expression": "Apache-2.0 AND ISC"}])
        );
        assert_eq!(ring["hashes"][0]["alg"], "SHA-256");
        let tzdata = components.iter().find(|c| c["name"] == "tzdata").unwrap();
        assert_eq!(tzdata["version"], "2025b-0+deb12u2");
        assert_eq!(
            tzdata["licenses"][1],
            json!({"license": {"id": "GPL-2.0-or-later"}})
        );
        assert_eq!(bom["dependencies"][0]["ref"], "image");
        assert_eq!(
            bom["dependencies"][0]["dependsOn"]
                .as_array()
                .unwrap()
                .len(),
            2 + 3
        );
        let properties = bom["metadata"]["properties"].to_string();
        assert!(
            properties.contains("gcr.io/distroless/cc-debian12:nonroot"),
            "{properties}"
        );
        assert!(properties.contains("linux/amd64"), "{properties}");
    }

    #[test]
    fn a_base_without_dpkg_is_listed_without_versions_and_says_so() {
        let mut image = image();
        image.from_dpkg = false;
        image.packages = vec![DebPackage {
            name: "tzdata".to_owned(),
            version: None,
            architecture: None,
            source: None,
        }];
        let bom = image_bom(
            &image,
            &backend(),
            &facts(),
            "todo-local/runtime:bookworm",
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
        check_shape(&bom).unwrap();
        assert!(purls(&bom).contains(&"pkg:deb/debian/tzdata?distro=debian-12".to_owned()));
        assert!(
            bom["metadata"]["properties"]
                .to_string()
                .contains("todo:debian-versions")
        );
    }

    #[test]
    fn a_pushed_image_is_named_by_its_registry_digest() {
        let mut image = image();
        let digest = format!("sha256:{}", "cd".repeat(32));
        image.repo_digests = vec![format!("ghcr.io/acme/todo-backend@{digest}")];
        image.reference = "ghcr.io/acme/todo-backend:0.1.0".to_owned();
        let bom = image_bom(&image, &backend(), &facts(), "base", "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            bom["metadata"]["component"]["purl"],
            format!(
                "pkg:oci/todo-backend@sha256%3A{}?arch=amd64&repository_url=ghcr.io%2Facme%2Ftodo-backend&tag=0.1.0",
                "cd".repeat(32)
            )
        );
        assert_eq!(
            bom["metadata"]["component"]["name"],
            "ghcr.io/acme/todo-backend"
        );
    }

    #[test]
    fn a_binary_sbom_has_the_binary_as_its_subject() {
        let bom = binary_bom(&backend(), &facts(), "linux/arm64", "2026-01-01T00:00:00Z").unwrap();
        check_shape(&bom).unwrap();
        assert_eq!(bom["metadata"]["component"]["name"], "todo-backend");
        assert_eq!(bom["metadata"]["component"]["type"], "application");
        assert_eq!(purls(&bom).len(), 4);
    }

    #[test]
    fn the_workspace_sbom_holds_every_crate_and_every_edge() {
        let bom = workspace_bom(&facts(), "0.1.0", "2026-01-01T00:00:00Z").unwrap();
        check_shape(&bom).unwrap();
        let purls = purls(&bom);
        assert_eq!(purls.len(), 6);
        assert!(purls.iter().any(|p| p.contains("pretty_assertions")));
        let dependencies = bom["dependencies"].as_array().unwrap();
        assert_eq!(dependencies[0]["ref"], "workspace");
        assert_eq!(dependencies[0]["dependsOn"].as_array().unwrap().len(), 2);
        // workspace, todo-backend, todo-api: the others depend on nothing.
        assert_eq!(dependencies.len(), 3);
    }

    #[test]
    fn the_shape_check_refuses_what_the_schema_refuses() {
        let good = binary_bom(&backend(), &facts(), "linux/amd64", "2026-01-01T00:00:00Z").unwrap();
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut bom = good.clone();
            edit(&mut bom);
            check_shape(&bom).unwrap_err().join("\n")
        };
        assert!(broken(&|b| b["specVersion"] = json!("1.4")).contains("specVersion"));
        assert!(broken(&|b| b["components"][0]["name"] = json!("")).contains("no name"));
        assert!(broken(&|b| b["components"][0]["type"] = json!("crate")).contains("no valid type"));
        assert!(
            broken(&|b| b["components"][1]["bom-ref"] = b["components"][0]["bom-ref"].clone())
                .contains("not unique")
        );
        assert!(broken(&|b| b["components"][0]["purl"] = json!("cargo/serde")).contains("purl"));
        assert!(
            broken(&|b| b["components"][0]["licenses"] =
                json!([{"expression": "MIT"}, {"expression": "ISC"}]))
            .contains("licenses")
        );
        assert!(
            broken(
                &|b| b["components"][0]["hashes"] = json!([{"alg": "SHA-256", "content": "beef"}])
            )
            .contains("SHA-256")
        );
        assert!(
            broken(&|b| b["dependencies"][0]["dependsOn"] = json!(["pkg:cargo/nowhere@1.0.0"]))
                .contains("names no component")
        );
    }

    #[test]
    fn platforms_map_to_rust_targets() {
        assert_eq!(
            rust_target("linux/amd64").unwrap(),
            "x86_64-unknown-linux-gnu"
        );
        assert_eq!(
            rust_target("linux/arm64").unwrap(),
            "aarch64-unknown-linux-gnu"
        );
        assert!(rust_target("windows/amd64").is_err());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
