//! Prints a document's extracted lines with their locations (a debugging aid for phrasing
//! authors): `cargo run --example evidence_text -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: evidence_text FILE");
    let bytes = std::fs::read(&path).expect("readable file");
    match vetter::probe::evidence::text::extract(&bytes, &path) {
        Ok(doc) => {
            for l in doc.lines {
                println!("{:>14} | {}", l.loc, l.text);
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}
