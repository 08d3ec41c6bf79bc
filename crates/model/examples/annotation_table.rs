//! Prints the annotation reference (Markdown) generated from slb-model's single annotation
//! table; README.md embeds it between `<!-- annotations:begin -->` and `<!-- annotations:end -->`.
//! Regenerate with `cargo run -p slb-model --example annotation_table`.

fn main() {
    print!("{}", slb_model::render_markdown());
}
