//! RFC 7396 Appendix A: every example, as data in testdata/.

use ops_config::{Document, Format, Strategies, Value, merge};

#[test]
fn appendix_a_examples() {
    let text = include_str!("../testdata/rfc7396-appendix-a.json");
    let cases = Document::parse(text, Format::Json, "rfc7396-appendix-a.json").unwrap();
    let Value::Seq(cases) = &cases.root().value else {
        panic!("the test data is a list of cases")
    };
    assert_eq!(cases.len(), 15, "Appendix A has 15 examples");
    for (i, case) in cases.iter().enumerate() {
        let part = |name: &str| {
            case.get(&[name])
                .unwrap_or_else(|| panic!("case {i} has no {name}"))
        };
        let got = merge(part("original"), part("patch"), &Strategies::new());
        assert_eq!(
            got.value,
            part("result").value,
            "example {} of Appendix A (line {})",
            i + 1,
            case.origin.line
        );
    }
}
