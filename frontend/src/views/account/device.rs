//! A session's browser and system in a few words ("Firefox on Linux"),
//! read from the `User-Agent` it logged in with, so a visitor can tell
//! their sessions apart. Only a label: nothing is decided on it.

use crate::views::edit::shorten;

/// Browser markers, most specific first: Edge and Opera also say
/// "Chrome", Chrome also says "Safari", Chromium also says "Chrome".
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),
    ("curl/", "curl"),
];

/// System markers, most specific first: iOS says "like Mac OS X",
/// Android says "Linux".
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// Longest label shown for a `User-Agent` nothing here recognises.
const UNRECOGNISED_MAX_CHARS: usize = 60;

/// "Firefox on Linux", "Chrome", "A browser on Windows"; the start of
/// the text itself when neither is recognised.
pub fn device_name(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return "Unknown browser".to_owned();
    };
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => shorten(agent, UNRECOGNISED_MAX_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on macOS",
            ),
            ("curl/8.5.0", "curl"),
            (
                "Mozilla/5.0 (X11; Linux x86_64) Strange/1.0",
                "A browser on Linux",
            ),
        ] {
            assert_eq!(device_name(Some(agent)), expected, "{agent}");
        }
    }

    #[test]
    fn unknown_agents_are_shown_shortened() {
        assert_eq!(device_name(None), "Unknown browser");
        assert_eq!(device_name(Some("  ")), "Unknown browser");
        assert_eq!(device_name(Some("my-script/1.0")), "my-script/1.0");
        let long = "x".repeat(200);
        let shown = device_name(Some(&long));
        assert_eq!(shown.chars().count(), UNRECOGNISED_MAX_CHARS);
        assert!(shown.ends_with('…'));
    }
}
