//! `deploy/` cannot be built without a Docker engine; this checks what can
//! be checked here: the paths the Dockerfile and the compose file name
//! exist, and every flag and variable they give Reach is one it has.

use std::path::Path;
use std::process::Command;

fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repository().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `reach … --help` of the commands deploy/ runs, together.
fn help() -> String {
    [vec!["--help"], vec!["serve", "--help"]]
        .iter()
        .map(|args| {
            let output = Command::new(env!("CARGO_BIN_EXE_reach"))
                .args(args)
                .output()
                .unwrap();
            assert!(output.status.success());
            String::from_utf8(output.stdout).unwrap()
        })
        .collect()
}

/// Variables Reach reads that are not its flags' (Leptos's own).
const LEPTOS_VARIABLES: [&str; 2] = ["LEPTOS_SITE_ROOT", "LEPTOS_SITE_ADDR"];

fn assert_known_variable(help: &str, variable: &str, file: &str) {
    assert!(
        LEPTOS_VARIABLES.contains(&variable) || help.contains(&format!("[env: {variable}")),
        "{file} sets {variable}, which Reach does not read"
    );
}

#[test]
fn the_dockerfile_copies_existing_paths_and_sets_real_variables() {
    let dockerfile = read("deploy/Dockerfile");
    let help = help();
    for line in dockerfile.lines().map(str::trim) {
        if let Some(copy) = line.strip_prefix("COPY ")
            && !copy.starts_with("--from")
        {
            let parts: Vec<&str> = copy.split_whitespace().collect();
            for source in &parts[..parts.len() - 1] {
                assert!(
                    repository().join(source).exists(),
                    "COPY {source}: no such path"
                );
            }
        }
    }
    // ENV KEY=value pairs, over continued lines.
    let env = dockerfile
        .split("\nENV ")
        .nth(1)
        .expect("an ENV instruction")
        .split("\n\n")
        .next()
        .unwrap()
        .split('\n')
        .take_while(|line| !line.starts_with("USER"))
        .collect::<Vec<_>>()
        .join(" ");
    let variables: Vec<&str> = env
        .split_whitespace()
        .filter_map(|pair| pair.split_once('=').map(|(key, _)| key))
        .collect();
    assert!(variables.contains(&"DATABASE_URL"));
    for variable in variables {
        assert_known_variable(&help, variable, "the Dockerfile");
    }
    assert!(dockerfile.contains(r#"CMD ["reach", "serve"]"#));
    assert!(dockerfile.contains("/healthz"));
    // The runtime stage gets what Leptos.toml says the site is.
    assert!(read("Leptos.toml").contains("site-root = \"target/site\""));
}

#[test]
fn the_compose_file_runs_reach_with_real_flags_and_variables() {
    let compose = read("deploy/compose.yaml");
    let help = help();
    let mut instances = 0;
    for line in compose.lines().map(str::trim) {
        if let Some(command) = line.strip_prefix("command: [\"reach\"") {
            instances += 1;
            for flag in command.split('"').filter(|part| part.starts_with("--")) {
                assert!(
                    help.contains(flag),
                    "compose passes {flag}, which reach serve does not take"
                );
            }
        }
        if let Some(setting) = line.strip_prefix("- ")
            && let Some((key, _)) = setting.split_once('=')
            && key.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            && !key.starts_with("POSTGRES_")
            && !key.starts_with("GF_")
        {
            assert_known_variable(&help, key, "compose.yaml");
        }
        if let Some(source) = line.strip_prefix("- ./") {
            let file = source.split(':').next().unwrap();
            assert!(
                repository().join("deploy").join(file).exists(),
                "{file}: no such file"
            );
        }
        if let Some(dockerfile) = line.strip_prefix("dockerfile: ") {
            assert!(
                repository().join(dockerfile).exists(),
                "{dockerfile}: no such file"
            );
        }
    }
    assert_eq!(instances, 2, "two Reach instances");
    for service in ["postgres:", "redis:", "reach-1:", "reach-2:", "balancer:"] {
        assert!(
            compose.contains(&format!("\n  {service}")),
            "no {service} service"
        );
    }
    let nginx = read("deploy/nginx.conf");
    assert!(nginx.contains("server reach-1:3000;") && nginx.contains("server reach-2:3000;"));
    // Prometheus scrapes each instance, not the balancer.
    let prometheus = read("deploy/prometheus.yml");
    assert!(prometheus.contains("metrics_path: /metrics"));
    assert!(prometheus.contains(r#"targets: ["reach-1:3000", "reach-2:3000"]"#));
}

/// The metric families the example Grafana dashboard queries (its
/// expressions' `reach_…` and `process_…` names, without the histogram
/// suffixes). The API test `prometheus_scrapes_the_same_figures` checks
/// that a real `/metrics` has each.
pub(crate) fn dashboard_metric_families() -> std::collections::BTreeSet<String> {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/reach.json")).expect("the dashboard is JSON");
    let mut families = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expression = target["expr"].as_str().expect("an expression");
            for word in expression.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("reach_") || word.starts_with("process_") {
                    let family = ["_bucket", "_count", "_sum"]
                        .iter()
                        .find_map(|suffix| word.strip_suffix(suffix))
                        .unwrap_or(word);
                    families.insert(family.to_owned());
                }
            }
        }
    }
    families
}
