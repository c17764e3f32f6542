//! Scratch: explain a YAML file with a JSON request (development aid).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).unwrap();
    let request: serde_json::Value = serde_json::from_str(&args[2]).unwrap();
    let out = meshroute_wire::explain(
        &[meshroute_core::Source { name: &args[1], bytes: &bytes }],
        &request,
    )
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
