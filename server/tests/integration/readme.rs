//! README's tables mirror the code, both ways: every command, setting, cache
//! kind and endpoint the binary has is in them, and every row of them is
//! one the binary has. A rename, a removal or a new one that the front door
//! does not follow fails here.

use std::collections::BTreeSet;

use app::ssr::cache::Kind;
use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md")
}

/// The first cells of the rows of the README table whose header row starts
/// with `header` (the whole table, up to its first non-row line).
fn first_cells(readme: &str, header: &str) -> Vec<String> {
    rows(readme, header)
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect()
}

/// The cells of each row of the table whose header starts with `header`.
fn rows(readme: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = readme
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .skip(2); // the header and its `|---|` line
    let mut rows = Vec::new();
    for line in lines.by_ref() {
        if !line.starts_with('|') {
            break;
        }
        // Cells split on `|` not escaped as `\|` (README escapes the `|`
        // inside code in table cells).
        let cells = line
            .trim()
            .trim_matches('|')
            .replace("\\|", "\u{0}")
            .split('|')
            .map(|cell| cell.trim().replace('\u{0}', "|"))
            .collect();
        rows.push(cells);
    }
    assert!(!rows.is_empty(), "no table under {header:?} in README");
    rows
}

/// Every `` `word` `` in `text` (the code spans).
fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn assert_same(what: &str, in_readme: BTreeSet<String>, in_code: BTreeSet<String>) {
    let missing: Vec<_> = in_code.difference(&in_readme).collect();
    let stale: Vec<_> = in_readme.difference(&in_code).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README's {what} drifted from the code: missing {missing:?}, no longer there {stale:?}"
    );
}

#[test]
fn the_command_table_is_the_command_tree() {
    let in_readme: BTreeSet<String> = first_cells(&readme(), "| command |")
        .iter()
        .flat_map(|cell| code_spans(cell))
        .filter_map(|span| {
            span.strip_prefix("reach ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        })
        .collect();
    let in_code: BTreeSet<String> = reach::config::Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect();
    assert_same("command table", in_readme, in_code);
}

/// Variables the table lists that are read outside the command line: the
/// file that reads each and what in it does (checked, so the row cannot
/// outlive the code).
const READ_ELSEWHERE: [(&str, &str, &str); 4] = [
    // Leptos' own settings, which `get_configuration` takes from the
    // environment over Leptos.toml.
    (
        "LEPTOS_SITE_ADDR",
        "server/src/http/mod.rs",
        "get_configuration",
    ),
    (
        "LEPTOS_SITE_ROOT",
        "server/src/http/mod.rs",
        "get_configuration",
    ),
    // Not a flag: a password on the command line shows in `ps`.
    (
        "REACH_ADMIN_PASSWORD",
        "server/src/cli/access.rs",
        "REACH_ADMIN_PASSWORD",
    ),
    (
        "REACH_TEST_POSTGRES_URL",
        "server/tests/integration/common/mod.rs",
        "REACH_TEST_POSTGRES_URL",
    ),
];

#[test]
fn the_settings_table_is_the_configuration() {
    let in_readme: BTreeSet<String> = first_cells(&readme(), "| variable | flag |")
        .iter()
        .flat_map(|cell| code_spans(cell))
        .collect();
    let cli = reach::config::Cli::command();
    let mut in_code: BTreeSet<String> = std::iter::once(&cli)
        .chain(cli.get_subcommands())
        .flat_map(|command| command.get_arguments())
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .collect();
    for (name, file, reader) in READ_ELSEWHERE {
        let source =
            std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(source.contains(reader), "{file} no longer reads {name}");
        in_code.insert(name.to_owned());
    }
    assert_same("settings table", in_readme, in_code);
}

#[test]
fn the_cache_table_is_the_cache_kinds() {
    let in_readme: BTreeSet<String> = rows(&readme(), "| kind | computed from |")
        .into_iter()
        .map(|cells| format!("{} | {} | {}", cells[0], cells[1], cells[2]))
        .collect();
    let in_code: BTreeSet<String> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let domains: Vec<&str> = kind.domains().iter().map(|d| d.as_str()).collect();
            let from = if kind.per_account() {
                "its accounts' revisions".to_owned()
            } else {
                domains.join(", ")
            };
            format!(
                "`{}` | {} | {} min",
                kind.as_str(),
                from,
                kind.default_ttl().as_secs() / 60
            )
        })
        .collect();
    assert_same("cache table", in_readme, in_code);
}

#[test]
fn the_endpoint_table_is_the_api_description() {
    let in_readme: BTreeSet<String> = first_cells(&readme(), "| endpoint | arguments |")
        .iter()
        .flat_map(|cell| code_spans(cell))
        .map(|span| match span.strip_prefix("POST ") {
            Some(path) => format!("post {path}"),
            None => format!("get {span}"),
        })
        .collect();
    let description = serde_json::to_value(reach::http::docs::document()).expect("the description");
    let in_code: BTreeSet<String> = description["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .keys()
                .filter(|method| ["get", "post"].contains(&method.as_str()))
                // README writes the export's, the badge's and the cards' file names
                // with their parts.
                .map(move |method| {
                    let file = if path.starts_with("/badge/") {
                        "{handle}.svg"
                    } else if path.starts_with("/card/brand/") {
                        "{name}"
                    } else if path.starts_with("/card/") {
                        "{handle}"
                    } else {
                        "{dataset}.{format}"
                    };
                    let path = path.replace("{file}", file);
                    format!("{method} {path}")
                })
        })
        .collect();
    assert_same("endpoint table", in_readme, in_code);
}

#[test]
fn the_platform_table_is_the_platforms_and_their_counters() {
    use app::model::Platform;
    let readme = readme();
    let rows = rows(&readme, "| platform | handle | needs | counters");
    let mut in_readme = BTreeSet::new();
    for cells in &rows {
        for label in cells[0].split(", ") {
            in_readme.insert(label.to_owned());
            // Without a collector, nothing is published (only demo accounts
            // are simulated).
            let Some(platform) = Platform::ALL.into_iter().find(|p| p.label() == label) else {
                continue;
            };
            // Every counter the platform publishes, by its name there.
            for counter in platform.counters() {
                assert!(
                    cells[3].contains(&counter.name),
                    "README's {label} row lacks its counter {:?}: {:?}",
                    counter.name,
                    cells[3]
                );
            }
        }
    }
    let in_code = Platform::ALL
        .into_iter()
        .map(|p| p.label().to_owned())
        .collect();
    assert_same("platform table", in_readme, in_code);
}
