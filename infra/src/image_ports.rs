//! The images' defaults (`ENV PORT`, `EXPOSE`, the HEALTHCHECK URL in each
//! stage of `infra/docker/Dockerfile`) equal the chart's `containerPort`
//! values, so an image run alone and the chart agree on where it listens.

use crate::policy::ContainerPorts;

/// Ok with a summary when every stage agrees with the values, else what
/// disagrees.
pub fn check(dockerfile: &str, chart_values: &str) -> Result<String, String> {
    let ports = ContainerPorts::from_values(chart_values)?;
    for (stage, port) in [("backend", ports.backend), ("frontend", ports.frontend)] {
        let found = stage_ports(dockerfile, stage);
        if !(found.len() == 3 && found.iter().all(|p| *p == port)) {
            return Err(format!(
                "infra/docker/Dockerfile stage {stage}: ENV PORT, EXPOSE and HEALTHCHECK say {found:?}, \
                 but the chart's values.yaml has {stage}.containerPort {port}; make them agree"
            ));
        }
    }
    Ok(format!(
        "image defaults listen where the chart expects (backend {}, frontend {})",
        ports.backend, ports.frontend
    ))
}

/// The ports a Dockerfile stage names: `ENV PORT=`, `EXPOSE`, and the
/// `127.0.0.1:<port>` of its HEALTHCHECK, in that order of appearance.
fn stage_ports(dockerfile: &str, stage: &str) -> Vec<i32> {
    let header = format!(" AS {stage}");
    let Some(start) = dockerfile
        .lines()
        .position(|l| l.starts_with("FROM ") && l.ends_with(&header))
    else {
        return Vec::new();
    };
    let number = |text: &str| -> Option<i32> {
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    dockerfile
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("FROM "))
        .filter_map(|line| {
            let line = line.trim();
            if let Some(rest) = line.split("PORT=").nth(1) {
                number(rest)
            } else if let Some(rest) = line.strip_prefix("EXPOSE ") {
                number(rest)
            } else {
                line.split("127.0.0.1:").nth(1).and_then(number)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dockerfile_stage_names_its_ports() {
        let dockerfile = "FROM x AS build\nEXPOSE 1\nFROM y AS backend\nENV PORT=8080 \\\n    LOG_FORMAT=json\nEXPOSE 8080\nHEALTHCHECK \\\n    CMD [\"b\", \"--url\", \"http://127.0.0.1:8080/health\"]\nFROM z AS frontend\nEXPOSE 3000\n";
        assert_eq!(stage_ports(dockerfile, "backend"), [8080, 8080, 8080]);
        assert_eq!(stage_ports(dockerfile, "frontend"), [3000]);
        assert!(stage_ports(dockerfile, "missing").is_empty());
    }

    #[test]
    fn the_committed_dockerfile_agrees_with_the_chart() {
        let dockerfile = include_str!("../docker/Dockerfile");
        let values = include_str!("../../helm/todo/values.yaml");
        assert!(
            check(dockerfile, values).is_ok(),
            "{:?}",
            check(dockerfile, values)
        );
    }
}
