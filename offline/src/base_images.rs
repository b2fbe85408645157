//! Stand-ins for the official base images, made from Debian's packages
//! where no registry is reachable: a slim Debian by debootstrap, a builder
//! with the host's Rust toolchain, a distroless-like glibc runtime, and
//! `todo-postgres:15` (held by xtask to the contract of the chart's
//! default `postgres:15-bookworm`). Each is labelled with the role it
//! stands in for, which is how xtask's image commands find it later, and
//! with a digest of its recipe, so an edited recipe is rebuilt, not
//! silently reused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use clap::ValueEnum;

use crate::docker::{docker, image_exists};
use crate::process::{output, project_root, run, which};

/// Slim Debian made by debootstrap: the parent of the local builder and
/// of todo-postgres.
const LOCAL_DEBIAN: &str = "todo-local/debian:bookworm";
const LOCAL_RUNTIME: &str = "todo-local/runtime:bookworm";
/// Tagged so testcontainers (`TEST_POSTGRES_IMAGE=todo-postgres:15`) finds
/// it locally and never tries to pull it.
const LOCAL_POSTGRES: &str = "todo-postgres:15";
const DEBIAN_MIRROR: &str = "http://deb.debian.org/debian";

/// What a distroless `cc` image holds that our binaries use: glibc,
/// libgcc's unwinder, CA certificates, time zones, /etc/services and
/// friends. No libssl3 (TLS is rustls) and no libstdc++ (no C++ is
/// linked); `cargo xtask images` checks the binaries' needs with ldd.
const RUNTIME_PACKAGES: &[&str] = &[
    "base-files",
    "netbase",
    "tzdata",
    "ca-certificates",
    "libc6",
    "libgcc-s1",
];

/// Label on images built from a Dockerfile here: a digest of the files
/// they are made from, so an edited recipe is rebuilt, not silently reused.
const RECIPE_LABEL: &str = "dev.todo.recipe";
/// Label naming the role a stand-in plays; xtask's image commands look
/// stand-ins up by it (`docker image ls --filter label=…`).
const STAND_IN_LABEL: &str = "dev.todo.stand-in";

/// The official image a stand-in replaces, by what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Role {
    /// The Dockerfile's `BUILDER_IMAGE` (official: `rust:*-slim-bookworm`).
    Builder,
    /// The Dockerfile's `RUNTIME_IMAGE` (official: distroless `cc-debian12`).
    Runtime,
    /// The database image (official: the chart's `postgres:15-bookworm`).
    Postgres,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Builder => "builder",
            Role::Runtime => "runtime",
            Role::Postgres => "postgres",
        }
    }

    fn label(self) -> String {
        format!("{STAND_IN_LABEL}={}", self.name())
    }
}

/// The stand-in for `role`, prepared now unless one from the current
/// recipe is already in the local store; its name.
pub fn prepare(role: Role) -> anyhow::Result<String> {
    match role {
        Role::Builder => local_builder(),
        Role::Runtime => local_runtime(),
        Role::Postgres => local_postgres(),
    }
}

/// A digest of the role and the recipe files' contents. SipHash with
/// fixed keys is stable between runs; a Rust upgrade that changed it would
/// cost one rebuild, nothing worse.
fn recipe_of(role: Role, files: &[&Path]) -> anyhow::Result<String> {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(role.label().as_bytes());
    for file in files {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        hasher.write(&bytes);
        hasher.write_u8(0);
    }
    Ok(format!("{:016x}", hasher.finish()))
}

/// Whether `image` exists and was built from the current recipe.
fn is_current(image: &str, recipe: &str) -> bool {
    let format = format!("{{{{index .Config.Labels \"{RECIPE_LABEL}\"}}}}");
    match output(docker().args(["image", "inspect", "--format", &format, image])) {
        Ok(label) if label.trim() == recipe => true,
        Ok(_) => {
            eprintln!("images: {image} was built from an older recipe; rebuilding it");
            false
        }
        Err(_) => false,
    }
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

/// Installs a Debian package when a needed tool is missing.
fn require_tool(tool: &str, package: &str) -> anyhow::Result<()> {
    if which(tool).is_some() || Path::new("/usr/sbin").join(tool).is_file() {
        return Ok(());
    }
    if !(is_root() && which("apt-get").is_some()) {
        bail!("`{tool}` is needed to prepare local base images: install the `{package}` package");
    }
    eprintln!("images: `{tool}` is missing; installing Debian's `{package}`");
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install().or_else(|_| {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        install()
    })
}

/// Pipes the directory tree `root` into `docker import`, owners numeric so
/// the 65532 home directory keeps its owner.
fn import_tree(root: &Path, image: &str, changes: &[&str]) -> anyhow::Result<()> {
    let mut tar = Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(root)
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start tar")?;
    let mut import = docker();
    import.arg("import");
    for change in changes {
        import.args(["--change", change]);
    }
    import
        .args(["-", image])
        .stdin(tar.stdout.take().context("tar has no stdout")?)
        .stdout(Stdio::null());
    let imported = run(&mut import);
    let tarred = tar.wait()?;
    imported?;
    if !tarred.success() {
        bail!("tar of {} failed ({tarred})", root.display());
    }
    Ok(())
}

/// Slim Debian bookworm by debootstrap (about a minute), without apt
/// lists, docs and locales.
fn local_debian() -> anyhow::Result<String> {
    if image_exists(LOCAL_DEBIAN) {
        eprintln!("images: using {LOCAL_DEBIAN} (prepared earlier)");
        return Ok(LOCAL_DEBIAN.to_string());
    }
    require_tool("debootstrap", "debootstrap")?;
    let work = tempfile::Builder::new().prefix("todo-debian-").tempdir()?;
    let root = work.path().join("root");
    eprintln!(
        "images: preparing {LOCAL_DEBIAN} with debootstrap from {DEBIAN_MIRROR} (about a minute)"
    );
    run(Command::new("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&root)
        .arg(DEBIAN_MIRROR))
    .context("debootstrap failed; is the Debian mirror reachable?")?;
    for dir in [
        "var/lib/apt/lists",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale",
    ] {
        remove_contents(&root.join(dir))?;
    }
    // debootstrap leaves the ~30 MB of packages it installed in apt's
    // cache; apt itself needs the directories, so only the files go.
    remove_files_ending(&root.join("var/cache/apt/archives"), ".deb")?;
    remove_files_ending(&root.join("var/cache/apt"), ".bin")?;
    import_tree(
        &root,
        LOCAL_DEBIAN,
        &[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "CMD [\"bash\"]",
        ],
    )?;
    Ok(LOCAL_DEBIAN.to_string())
}

fn remove_files_ending(dir: &Path, suffix: &str) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_file() && path.to_string_lossy().ends_with(suffix) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn remove_contents(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The host's active Rust toolchain: its sysroot, version and host triple.
struct Toolchain {
    sysroot: PathBuf,
    version: String,
    host: String,
}

fn host_toolchain() -> anyhow::Result<Toolchain> {
    let mut rustc = Command::new("rustc");
    rustc.current_dir(project_root());
    let verbose = output(rustc.arg("-vV")).context("rustc is needed for the local builder")?;
    let field = |name: &str| {
        verbose
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_string())
            .with_context(|| format!("`rustc -vV` has no `{name}` line"))
    };
    let version = field("release:")?;
    let host = field("host:")?;
    let sysroot = output(
        Command::new("rustc")
            .current_dir(project_root())
            .args(["--print", "sysroot"]),
    )?;
    Ok(Toolchain {
        sysroot: PathBuf::from(sysroot.trim()),
        version,
        host,
    })
}

/// Builder: the slim Debian plus gcc and the host's toolchain, tagged with
/// the Rust version so a toolchain update makes a new one.
fn local_builder() -> anyhow::Result<String> {
    let toolchain = host_toolchain()?;
    let image = format!("todo-local/builder:bookworm-rust{}", toolchain.version);
    let dockerfile = project_root().join("infra/docker/builder.Dockerfile");
    let recipe = recipe_of(Role::Builder, &[&dockerfile])?;
    if is_current(&image, &recipe) {
        eprintln!("images: using {image} (prepared earlier)");
        return Ok(image);
    }
    let debian = local_debian()?;
    let context = tempfile::Builder::new().prefix("todo-builder-").tempdir()?;
    let dest = context.path().join("toolchain");
    let src = &toolchain.sysroot;
    eprintln!(
        "images: preparing {image} from {debian} and the toolchain in {}",
        src.display()
    );
    for file in ["bin/cargo", "bin/rustc", "bin/rustdoc"] {
        link_or_copy(&src.join(file), &dest.join(file))?;
    }
    for entry in std::fs::read_dir(src.join("lib"))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("librustc_driver-") || name.starts_with("libLLVM") {
            link_or_copy(&entry.path(), &dest.join("lib").join(&*name))?;
        }
    }
    let target_lib = format!("lib/rustlib/{}", toolchain.host);
    link_or_copy(&src.join(&target_lib), &dest.join(&target_lib))?;
    // The host's bundle includes any TLS-intercepting proxy's CA, which
    // cargo inside the build needs to reach crates.io.
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        context.path().join("ca-certificates.crt"),
    )
    .context("the host CA bundle /etc/ssl/certs/ca-certificates.crt is missing")?;
    run(docker()
        .args(["build", "--network", "host", "--build-arg"])
        .arg(format!("DEBIAN_IMAGE={debian}"))
        .arg("-f")
        .arg(&dockerfile)
        .args(["--label", &format!("{RECIPE_LABEL}={recipe}")])
        .args(["--label", &Role::Builder.label()])
        .args(["-t", &image])
        .arg(context.path()))?;
    Ok(image)
}

/// Hard links (no copy of ~570 MB) where the filesystem allows, else copies.
fn link_or_copy(src: &Path, dest: &Path) -> anyhow::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dest)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            link_or_copy(&entry.path(), &dest.join(entry.file_name()))?;
        }
        return Ok(());
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if std::fs::hard_link(src, dest).is_err() {
        std::fs::copy(src, dest)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dest.display()))?;
    }
    Ok(())
}

/// A distroless-like runtime: Debian's packages unpacked into one root,
/// no shell or other executables, a `nonroot` user 65532.
fn local_runtime() -> anyhow::Result<String> {
    // The recipe is this file (the package list and the steps below).
    let recipe = {
        use std::hash::{DefaultHasher, Hasher};
        let mut hasher = DefaultHasher::new();
        hasher.write(include_str!("base_images.rs").as_bytes());
        format!("{:016x}", hasher.finish())
    };
    if is_current(LOCAL_RUNTIME, &recipe) {
        eprintln!("images: using {LOCAL_RUNTIME} (prepared earlier)");
        return Ok(LOCAL_RUNTIME.to_string());
    }
    eprintln!("images: preparing {LOCAL_RUNTIME} from Debian packages: {RUNTIME_PACKAGES:?}");
    let work = tempfile::Builder::new().prefix("todo-runtime-").tempdir()?;
    let debs = work.path().join("debs");
    let root = work.path().join("root");
    std::fs::create_dir_all(&debs)?;
    run(Command::new("apt-get")
        .arg("download")
        .args(RUNTIME_PACKAGES)
        .current_dir(&debs)
        .stderr(Stdio::null()))
    .context("apt-get download failed; try `apt-get update` first")?;
    for entry in std::fs::read_dir(&debs)? {
        output(
            Command::new("dpkg-deb")
                .arg("-x")
                .arg(entry?.path())
                .arg(&root),
        )?;
    }
    // No executables at all: nothing to exec into, nothing to exploit.
    // gconv (iconv modules, 8 MB) is unused by Rust programs.
    for dir in [
        "bin",
        "sbin",
        "usr/bin",
        "usr/sbin",
        "usr/lib/x86_64-linux-gnu/gconv",
        "usr/share/lintian",
    ] {
        let path = root.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
    }
    prune_docs(&root.join("usr/share/doc"))?;
    // update-ca-certificates (a postinst script) is what normally builds
    // the bundle; its input is exactly these files.
    let mut bundle = String::new();
    let mut certs: Vec<PathBuf> =
        std::fs::read_dir(root.join("usr/share/ca-certificates/mozilla"))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
    certs.sort();
    for cert in certs {
        bundle.push_str(&std::fs::read_to_string(&cert)?);
    }
    std::fs::create_dir_all(root.join("etc/ssl/certs"))?;
    std::fs::write(root.join("etc/ssl/certs/ca-certificates.crt"), bundle)?;
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\n\
         nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
         nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    )?;
    std::fs::write(
        root.join("etc/group"),
        "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
    )?;
    // Without it glibc asks DNS before /etc/hosts, even for localhost.
    std::fs::write(
        root.join("etc/nsswitch.conf"),
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n\
         networks: files\nprotocols: files\nservices: files\n",
    )?;
    std::fs::create_dir_all(root.join("home/nonroot"))?;
    std::fs::create_dir_all(root.join("tmp"))?;
    run(Command::new("chmod").arg("1777").arg(root.join("tmp")))?;
    run(Command::new("chown")
        .arg("65532:65532")
        .arg(root.join("home/nonroot")))
    .context("preparing the runtime image needs root (chown of /home/nonroot)")?;
    import_tree(
        &root,
        LOCAL_RUNTIME,
        &[
            "USER 65532:65532",
            "WORKDIR /home/nonroot",
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
             SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            "LABEL org.opencontainers.image.description=\"Local distroless-like glibc runtime (todo xtask)\"",
            &format!("LABEL {RECIPE_LABEL}={recipe}"),
            &format!("LABEL {}", Role::Runtime.label()),
        ],
    )?;
    Ok(LOCAL_RUNTIME.to_string())
}

/// Keeps only the copyright files: they are the packages' licences.
fn prune_docs(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            prune_docs(&path)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
            }
        } else if path.file_name().is_none_or(|name| name != "copyright") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// `todo-postgres:15`: Debian's postgresql-15 with an entrypoint that
/// behaves like the official image's (infra/docker/postgres.Dockerfile).
fn local_postgres() -> anyhow::Result<String> {
    let dir = project_root().join("infra/docker");
    let recipe = recipe_of(
        Role::Postgres,
        &[
            &dir.join("postgres.Dockerfile"),
            &dir.join("postgres-entrypoint.sh"),
        ],
    )?;
    if is_current(LOCAL_POSTGRES, &recipe) {
        eprintln!("images: using {LOCAL_POSTGRES} (prepared earlier)");
        return Ok(LOCAL_POSTGRES.to_string());
    }
    let debian = local_debian()?;
    eprintln!(
        "images: preparing {LOCAL_POSTGRES} from Debian's postgresql-15 (the official postgres image is not used here)"
    );
    run(docker()
        .args(["build", "--network", "host", "--build-arg"])
        .arg(format!("DEBIAN_IMAGE={debian}"))
        .args(["--label", &format!("{RECIPE_LABEL}={recipe}")])
        .args(["--label", &Role::Postgres.label()])
        .arg("-f")
        .arg(dir.join("postgres.Dockerfile"))
        .args(["-t", LOCAL_POSTGRES])
        .arg(&dir))?;
    Ok(LOCAL_POSTGRES.to_string())
}
