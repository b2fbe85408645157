//! What the chart relies on in its database image, true of the official
//! Debian-based default (`postgresql.image` in values.yaml) and of a
//! locally prepared stand-in alike. `todo-infra check-database-image`
//! checks it on whichever image a run starts (`smoke`, `chart --on-docker`,
//! `testcontainers`), so a stand-in cannot drift from the default.

/// The contract, read from `docker image inspect`'s config and the uid of
/// the image's `postgres` user.
#[derive(Debug)]
pub struct PostgresContract {
    /// `postgres` user and group: the chart's `postgresql.runAsUser`.
    pub uid: u32,
    /// `PG_MAJOR`: the major version of the default's tag.
    pub major: &'static str,
    pub pgdata: &'static str,
    pub entrypoint: &'static str,
    pub stop_signal: &'static str,
}

pub const POSTGRES_CONTRACT: PostgresContract = PostgresContract {
    uid: 999,
    major: "15",
    pgdata: "/var/lib/postgresql/data",
    entrypoint: "docker-entrypoint.sh",
    stop_signal: "SIGINT",
};

/// The chart's default database image, `REPOSITORY:TAG`, from its values.
pub fn chart_default(values_yaml: &str) -> Result<String, String> {
    let values: serde_json::Value =
        serde_saphyr::from_str(values_yaml).map_err(|e| format!("values are not YAML: {e}"))?;
    let image = &values["postgresql"]["image"];
    match (image["repository"].as_str(), image["tag"].as_str()) {
        (Some(repository), Some(tag)) => Ok(format!("{repository}:{tag}")),
        _ => Err("the values have no postgresql.image.repository and .tag".to_owned()),
    }
}

impl PostgresContract {
    /// The ways an image breaks the contract, from `docker image inspect`'s
    /// config and the uid `id -u postgres` printed in it.
    pub fn breaches(&self, config: &serde_json::Value, postgres_uid: &str) -> Vec<String> {
        let strings = |key: &str| -> Vec<&str> {
            config[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect()
        };
        let env = strings("Env");
        let var = |name: &str| {
            env.iter()
                .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or("(unset)")
                .to_owned()
        };
        let entrypoint = strings("Entrypoint");
        let mut breaches = Vec::new();
        let mut expect = |what: &str, expected: &str, actual: &str| {
            if expected != actual {
                breaches.push(format!("{what} is {actual}, the contract says {expected}"));
            }
        };
        expect(
            "the postgres user's uid",
            &self.uid.to_string(),
            postgres_uid.trim(),
        );
        expect("PG_MAJOR", self.major, &var("PG_MAJOR"));
        expect("PGDATA", self.pgdata, &var("PGDATA"));
        expect("the entrypoint", self.entrypoint, &entrypoint.join(" "));
        expect(
            "the stop signal",
            self.stop_signal,
            config["StopSignal"].as_str().unwrap_or("(unset)"),
        );
        breaches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config of `postgres:15-bookworm` as its Dockerfile sets it (ENV,
    /// ENTRYPOINT, STOPSIGNAL of docker-library/postgres 15/bookworm), in
    /// `docker image inspect --format '{{json .Config}}'` form. The hosted
    /// workflow checks the real pulled image.
    const OFFICIAL_CONFIG: &str = r#"{"User":"","ExposedPorts":{"5432/tcp":{}},
        "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin",
        "GOSU_VERSION=1.17","LANG=en_US.utf8","PG_MAJOR=15","PG_VERSION=15.10-1.pgdg120+1",
        "PGDATA=/var/lib/postgresql/data"],"Cmd":["postgres"],"Volumes":{"/var/lib/postgresql/data":{}},
        "Entrypoint":["docker-entrypoint.sh"],"StopSignal":"SIGINT"}"#;

    #[test]
    fn the_official_image_keeps_the_contract_and_an_alpine_one_does_not() {
        let official: serde_json::Value = serde_json::from_str(OFFICIAL_CONFIG).unwrap();
        assert_eq!(
            POSTGRES_CONTRACT.breaches(&official, "999\n"),
            Vec::<String>::new()
        );
        let mut alpine = official.clone();
        alpine["Env"] = serde_json::json!(["PG_MAJOR=16", "PGDATA=/var/lib/postgresql/data"]);
        assert_eq!(
            POSTGRES_CONTRACT.breaches(&alpine, "70"),
            [
                "the postgres user's uid is 70, the contract says 999",
                "PG_MAJOR is 16, the contract says 15"
            ]
        );
        let mut bare = official;
        bare["Env"] = serde_json::json!([]);
        bare["StopSignal"] = serde_json::Value::Null;
        let breaches = POSTGRES_CONTRACT.breaches(&bare, "999");
        assert!(
            breaches.contains(
                &"PGDATA is (unset), the contract says /var/lib/postgresql/data".to_owned()
            )
        );
        assert!(
            breaches.contains(&"the stop signal is (unset), the contract says SIGINT".to_owned())
        );
    }

    #[test]
    fn the_contract_is_that_of_the_charts_default_image() {
        let values_yaml = include_str!("../../helm/todo/values.yaml");
        let default = chart_default(values_yaml).unwrap();
        assert_eq!(default, "postgres:15-bookworm");
        let values: serde_json::Value = serde_saphyr::from_str(values_yaml).unwrap();
        assert_eq!(
            values["postgresql"]["runAsUser"].as_u64(),
            Some(POSTGRES_CONTRACT.uid.into())
        );
        let tag = default.split(':').nth(1).unwrap();
        assert_eq!(tag.split('-').next(), Some(POSTGRES_CONTRACT.major));
    }
}
