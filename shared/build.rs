//! The AWS root CAs as DER, decoded at build time from `certs/aws-root-cas.pem` (the one copy): the
//! store's TLS client loads them at every cold start, where decoding the PEM cost 0.2 M
//! instructions, a quarter of a client's start-up (docs/benchmarks.md, issue #14).

use base64::Engine;

fn main() {
    let path = "certs/aws-root-cas.pem";
    println!("cargo:rerun-if-changed={path}");
    let pem = std::fs::read_to_string(path).expect("the bundled root CAs are readable");
    let mut out = String::from("&[\n");
    for block in pem.split("-----BEGIN CERTIFICATE-----").skip(1) {
        let body = block.split("-----END CERTIFICATE-----").next().expect("a certificate ends");
        let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(text).expect("a certificate is base64");
        out += &format!("    &{der:?},\n");
    }
    out += "]\n";
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("aws_root_cas_der.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
