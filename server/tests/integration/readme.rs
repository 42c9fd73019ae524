//! README's tables mirror the code: every command, every setting and every
//! endpoint the binary has is in them, so the front door never falls behind.

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md")
}

#[test]
fn every_command_is_in_the_readme() {
    let readme = readme();
    let missing: Vec<String> = reach::config::Cli::command()
        .get_subcommands()
        .map(|command| format!("`reach {}", command.get_name()))
        .filter(|command| !readme.contains(command.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "commands missing from README: {missing:?}"
    );
}

#[test]
fn every_setting_is_in_the_readme() {
    let readme = readme();
    let mut missing = Vec::new();
    let cli = reach::config::Cli::command();
    let commands = std::iter::once(&cli).chain(cli.get_subcommands());
    for command in commands {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                let env = env.to_string_lossy();
                if !readme.contains(&format!("`{env}`")) {
                    missing.push(env.into_owned());
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "settings missing from README: {missing:?}"
    );
}

#[test]
fn every_endpoint_is_in_the_readme() {
    let readme = readme();
    let description = serde_json::to_value(reach::http::docs::document()).expect("the description");
    let missing: Vec<String> = description["paths"]
        .as_object()
        .expect("paths")
        .keys()
        // `/api/export/{file}` is written with its parts in README.
        .map(|path| path.split('{').next().unwrap_or(path).to_owned())
        .filter(|path| {
            !readme.contains(&format!("`{path}")) && !readme.contains(&format!("`POST {path}"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints missing from README: {missing:?}"
    );
}
