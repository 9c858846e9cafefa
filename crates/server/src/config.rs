//! Configuration: built-in defaults (`siyu_app::config`), then `siyu.toml`, then `SIYU_` environment
//! variables (`SIYU_SERVER__BIND=0.0.0.0:8080`), then command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
pub use siyu_app::config::*;

/// Defaults, then the TOML file (if it exists), then `SIYU_*` variables.
pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
    let path = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("siyu.toml"));
    Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(path))
        .merge(Env::prefixed("SIYU_").split("__"))
        .extract()
        .map_err(Box::new)
}

/// The defaults as a commented TOML file, for `siyu print-default-config`.
pub fn default_toml() -> String {
    let body = toml::to_string_pretty(&Config::default()).expect("the default config serialises");
    format!(
        "# siyu configuration. Every key can also be set as SIYU_<SECTION>__<KEY>, e.g. SIYU_SERVER__BIND.\n\
         # security.pii_key: base64 of 32 random bytes; keep it secret and backed up, customers' phone and\n\
         # ID numbers cannot be read without it.\n\n{body}"
    )
}

#[cfg(test)]
// figment's `Jail` fixes the closures' error type; its size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "siyu.toml",
                "log = \"debug\"\n[server]\nbind = \"0.0.0.0:9000\"\nsecure_cookies = true\n",
            )?;
            jail.set_env("SIYU_SERVER__BIND", "127.0.0.1:7000");
            jail.set_env("SIYU_DATABASE__BACKEND", "postgres");
            let c = load(None).map_err(|e| *e)?;
            assert_eq!(c.server.bind, "127.0.0.1:7000", "the environment wins over the file");
            assert!(c.server.secure_cookies, "the file wins over the defaults");
            assert_eq!(c.log, "debug");
            assert_eq!(c.database.backend, Backend::Postgres);
            assert_eq!(c.jobs.workers, 2, "untouched keys keep their defaults");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("siyu.toml", "[server]\nbnid = \"typo\"\n")?;
            assert!(load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn default_toml_reads_back_as_the_defaults() {
        let text = default_toml();
        let back: Config = Figment::from(Toml::string(&text)).extract().unwrap();
        assert_eq!(back, Config::default());
    }
}
