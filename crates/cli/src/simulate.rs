//! `meshroute simulate`: many variants of one request, counted by destination and endpoint.
//!
//! Like `explain`, the text is rendered from the simulation JSON of `crates/wire/CONTRACT.md`
//! alone. The engine draws the variants from the seed, so one seed always gives one answer.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use crate::render::{self, Format, Style, clean};
use crate::request::{self, RequestArgs};

/// Requests a single run may simulate; more would only take longer to say the same.
const MAX_REQUESTS: i64 = 1_000_000;

/// Width of a full percent bar, in characters.
const BAR_WIDTH: usize = 24;

/// Simulate many variants of a request and count where they go.
///
/// Sends N variants of the request from simulated callers, each keeping its own hashed cookie,
/// header, query value or source IP, and counts the requests per destination cluster and per
/// endpoint, and the callers that stayed on one endpoint (stickiness).
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  meshroute simulate -f geo.yaml --host geo.example.com -n 10000
  meshroute simulate -f geo.yaml --host geo.example.com --cookie session=u1 --seed 7 --format json

Exit status:
  0  the request was simulated
  2  an input could not be read, or the command line or request was invalid")]
pub(crate) struct SimulateArgs {
    /// How many requests to send.
    #[arg(short = 'n', value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=MAX_REQUESTS))]
    n: u32,

    /// Seed of the variants; the same seed gives the same simulation.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,

    /// Output format: `text` for people, `json` for tools (the simulation object on one line).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    #[command(flatten)]
    request: RequestArgs,
}

pub(crate) fn run(args: &SimulateArgs) -> ExitCode {
    let prepared = match request::prepare(&args.request, "simulate") {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let sources = prepared.sources();
    let simulation = match meshroute_wire::simulate(&sources, &prepared.request, args.n, args.seed)
    {
        Ok(simulation) => simulation,
        Err(error) => {
            return crate::usage_error("simulate", &format!("invalid request: {error}"));
        }
    };
    match args.format {
        Format::Json => render::to_stdout(|mut out| {
            serde_json::to_writer(&mut out, &simulation)?;
            writeln!(out)
        }),
        Format::Text => {
            let headline = args.request.headline();
            render::to_stdout(|mut out| {
                report(&mut out, &headline, &simulation, Style::for_stdout())
            })
        }
    }
}

/// Writes the counts: the request, a bar per destination, the endpoints of each, stickiness.
pub(crate) fn report(
    out: &mut impl Write,
    headline: &str,
    simulation: &Value,
    style: Style,
) -> io::Result<()> {
    let count = |value: &Value, key: &str| value.get(key).and_then(Value::as_u64).unwrap_or(0);
    let n = count(simulation, "n");
    let clients = count(simulation, "clients");
    writeln!(out, "{}", style.paint("1", headline))?;
    let seed = simulation.get("seed").map_or_else(|| "?".to_string(), Value::to_string);
    // `varied` is the engine's addition to the contract: what each caller keeps its own of.
    match simulation.get("varied").and_then(Value::as_str) {
        Some(varied) => writeln!(
            out,
            "{n} requests from {clients} callers, each with its own {}, seed {seed}",
            clean(varied)
        )?,
        None => writeln!(out, "{n} requests from {clients} callers, seed {seed}")?,
    }

    let destinations = array(simulation, "destinations");
    let endpoints = array(simulation, "endpoints");
    let name = |value: &Value| match value.get("cluster").and_then(Value::as_str) {
        Some(cluster) => clean(cluster).into_owned(),
        None => "(no cluster: local reply)".to_string(),
    };
    let width = destinations.iter().map(|d| name(d).chars().count()).max().unwrap_or(0);
    writeln!(out)?;
    writeln!(out, "{}", style.paint("1", "destinations"))?;
    if destinations.is_empty() {
        writeln!(out, "  none")?;
    }
    for destination in destinations {
        let hits = count(destination, "count");
        let bar = bar(share(hits, n));
        writeln!(
            out,
            "  {:width$}  {hits:>7}  {:>5.1}%  {}",
            name(destination),
            100.0 * share(hits, n),
            style.paint("36", &bar)
        )?;
    }

    writeln!(out)?;
    writeln!(out, "{}", style.paint("1", "endpoints"))?;
    // Grouped by cluster in the order the clusters first appear.
    let mut clusters: Vec<String> = Vec::new();
    for endpoint in endpoints {
        let cluster = name(endpoint);
        if !clusters.contains(&cluster) {
            clusters.push(cluster);
        }
    }
    // One width for all, so that the counts line up from one cluster to the next.
    let width = endpoints.iter().map(|e| address(e).chars().count()).max().unwrap_or(0);
    for cluster in &clusters {
        writeln!(out, "  {cluster}")?;
        for endpoint in endpoints.iter().filter(|e| &name(e) == cluster) {
            let hits = count(endpoint, "count");
            let address = address(endpoint);
            writeln!(out, "    {address:width$}  {hits:>7}  {:>5.1}%", 100.0 * share(hits, n))?;
        }
    }
    if clusters.is_empty() {
        writeln!(out, "  none")?;
    }

    writeln!(out)?;
    let sticky = count(simulation, "sticky_clients");
    writeln!(
        out,
        "{}  {sticky} of {clients} callers stayed on one endpoint for all their requests",
        style.paint("1", "sticky clients")
    )
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// A bar of `BAR_WIDTH` characters, filled to `share` in eighths of a character.
fn bar(share: f64) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (share.clamp(0.0, 1.0) * (BAR_WIDTH * 8) as f64).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        bar.push(EIGHTHS[eighths % 8]);
    }
    let filled = bar.chars().count();
    bar.push_str(&"░".repeat(BAR_WIDTH - filled));
    bar
}

/// `address:port`, with IPv6 addresses in brackets.
fn address(endpoint: &Value) -> String {
    let address = endpoint.get("address").and_then(Value::as_str).map_or_else(|| "?".into(), clean);
    match endpoint.get("port").and_then(Value::as_u64) {
        Some(port) if address.contains(':') => format!("[{address}]:{port}"),
        Some(port) => format!("{address}:{port}"),
        None => address.into_owned(),
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bars_fill_in_eighths() {
        assert_eq!(bar(0.0), "░".repeat(BAR_WIDTH));
        assert_eq!(bar(1.0), "█".repeat(BAR_WIDTH));
        assert_eq!(bar(0.5), format!("{}{}", "█".repeat(12), "░".repeat(12)));
        assert_eq!(bar(1.0 / 192.0), format!("▏{}", "░".repeat(BAR_WIDTH - 1)));
        assert_eq!(bar(2.0).chars().count(), BAR_WIDTH);
    }

    #[test]
    fn a_weighted_simulation_reads_at_a_glance() {
        let simulation = json!({
            "n": 1000, "seed": 7, "clients": 10,
            "destinations": [
                {"cluster": "outbound|80|v1|geo.example.com", "count": 800},
                {"cluster": "outbound|80|v2|geo.example.com", "count": 200}
            ],
            "endpoints": [
                {"cluster": "outbound|80|v1|geo.example.com", "address": "10.0.1.1", "port": 80, "count": 500},
                {"cluster": "outbound|80|v1|geo.example.com", "address": "10.0.1.2", "port": 80, "count": 300},
                {"cluster": "outbound|80|v2|geo.example.com", "address": "fd00::2", "port": 80, "count": 200}
            ],
            "sticky_clients": 10
        });
        let schema = meshroute_tests::schema::contract_schema("simulation");
        meshroute_tests::schema::validate(&schema, &simulation)
            .expect("the fixture follows the contract");
        let mut out = Vec::new();
        report(
            &mut out,
            "GET http://geo.example.com:80/ from namespace geo",
            &simulation,
            Style { color: false },
        )
        .expect("write to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        let expected = "\
GET http://geo.example.com:80/ from namespace geo
1000 requests from 10 callers, seed 7

destinations
  outbound|80|v1|geo.example.com      800   80.0%  ███████████████████▎░░░░
  outbound|80|v2|geo.example.com      200   20.0%  ████▊░░░░░░░░░░░░░░░░░░░

endpoints
  outbound|80|v1|geo.example.com
    10.0.1.1:80       500   50.0%
    10.0.1.2:80       300   30.0%
  outbound|80|v2|geo.example.com
    [fd00::2]:80      200   20.0%

sticky clients  10 of 10 callers stayed on one endpoint for all their requests
";
        assert_eq!(text, expected);
    }
}
