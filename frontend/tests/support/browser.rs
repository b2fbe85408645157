//! Headless Chromium driven over WebDriver: Debian's `chromium` and
//! `chromium-driver` packages, a fresh profile per browser, loopback only.
//! Missing binaries are a failure with install instructions, never a skip.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

const INSTALL_HINT: &str = "install them with `apt-get install -y chromium chromium-driver` \
     (Debian/Ubuntu; `cargo xtask test` does this when run as root), or point \
     CHROMIUM and CHROMEDRIVER at other binaries";

fn binary(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "the browser tests need {} ({variable}), which is missing: {INSTALL_HINT}",
        path.display()
    );
    path
}

/// A chromedriver process on a free loopback port; killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
    chromium: PathBuf,
    profiles: TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        Self::start_in_zone(None)
    }

    /// With `zone` (an IANA name) as the browsers' time zone: Chromium
    /// takes it from `TZ`, which it inherits from chromedriver. None: the
    /// machine's.
    pub fn start_in_zone(zone: Option<&str>) -> Driver {
        let chromium = binary("CHROMIUM", "/usr/bin/chromium");
        let chromedriver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let profiles = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(&chromedriver);
        if let Some(zone) = zone {
            command.env("TZ", zone);
        }
        let child = command
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profiles.path().join("chromedriver.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            profiles,
        }
    }

    /// A new browser session whose window is `window` pixels (headless
    /// Chromium keeps about 140 px of the height for its invisible UI).
    pub async fn browser(&self, javascript: bool, window: (u32, u32)) -> Client {
        self.session(javascript, window, None).await
    }

    /// A session emulating a phone screen of `width` x `height` CSS pixels
    /// (windows cannot be narrower than 500 px).
    pub async fn phone(&self, javascript: bool, width: u32, height: u32) -> Client {
        let metrics = json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "touch": false}});
        self.session(javascript, (500, 1000), Some(metrics)).await
    }

    async fn session(&self, javascript: bool, window: (u32, u32), mobile: Option<Value>) -> Client {
        let profile = tempfile::tempdir_in(self.profiles.path()).expect("profile dir");
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            // Date inputs take keystrokes in the locale's order (mm/dd/yyyy).
            "--lang=en-US".to_owned(),
            format!("--window-size={},{}", window.0, window.1),
            format!("--user-data-dir={}", profile.keep().display()),
        ];
        let mut options = Map::new();
        if let Some(mobile) = mobile {
            options.insert("mobileEmulation".into(), mobile);
        }
        options.insert("binary".into(), json!(self.chromium));
        options.insert("args".into(), json!(args));
        if !javascript {
            options.insert(
                "prefs".into(),
                json!({"profile.managed_default_content_settings.javascript": 2}),
            );
        }
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), Value::Object(options));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromium did not start through chromedriver: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The element matching `css`, waiting up to 10 s for it to appear.
pub async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element matches {css:?}: {e}"))
}

/// The visible text of the element matching `css`.
pub async fn text(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.expect("element text")
}

pub async fn click(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("could not click {css:?}: {e}"));
}

/// Clicks what makes the browser load another page (a link, a submit
/// button) and waits until the old page is gone, so that later lookups
/// cannot see stale content.
pub async fn follow(client: &Client, css: &str) {
    let old_page = client
        .find(Locator::Css("html"))
        .await
        .expect("a page is loaded");
    click(client, css).await;
    wait_for_new_page(client, old_page).await;
}

/// Waits until `old_page` (its `html` element) is detached: the browser
/// has navigated away from it.
pub async fn wait_for_new_page(client: &Client, old_page: Element) {
    let started = std::time::Instant::now();
    while old_page.attr("lang").await.is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no new page within 10 s (still on {})",
            path(client).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn type_into(client: &Client, css: &str, keys: &str) {
    let element = find(client, css).await;
    element.clear().await.expect("clear the field");
    element
        .send_keys(keys)
        .await
        .unwrap_or_else(|e| panic!("could not type into {css:?}: {e}"));
}

/// Picks `<option value=value>` in the select matching `css`.
pub async fn choose(client: &Client, css: &str, value: &str) {
    click(client, &format!("{css} option[value=\"{value}\"]")).await;
}

pub async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .expect("find_all")
        .len()
}

pub async fn path(client: &Client) -> String {
    let url = client.current_url().await.expect("current url");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}
