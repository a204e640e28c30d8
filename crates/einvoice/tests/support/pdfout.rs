//! Writes the PDFs the tests and the benchmark need (lopdf).

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};

/// A one-page PDF embedding one file under `name` (catalog /Names /EmbeddedFiles and /AF, as
/// Factur-X places it), its stream compressed with FlateDecode when `compress`, plus `padding`
/// bytes of incompressible data in a stream of its own (what images and fonts weigh).
pub fn pdf(name: &str, content: &[u8], compress: bool, padding: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Page".to_vec())),
        ("Parent", Object::Reference(pages_id)),
        (
            "MediaBox",
            Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
        ),
    ]));
    doc.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(vec![Object::Reference(page_id)])),
            ("Count", Object::Integer(1)),
        ])),
    );
    let mut stream = Stream::new(
        Dictionary::from_iter(vec![("Type", Object::Name(b"EmbeddedFile".to_vec()))]),
        content.to_vec(),
    );
    if compress {
        stream.compress().expect("compressible");
    }
    let stream_id = doc.add_object(stream);
    let spec_id = doc.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Filespec".to_vec())),
        (
            "F",
            Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        ),
        (
            "UF",
            Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        ),
        ("AFRelationship", Object::Name(b"Data".to_vec())),
        (
            "EF",
            Object::Dictionary(Dictionary::from_iter(vec![(
                "F",
                Object::Reference(stream_id),
            )])),
        ),
    ]));
    let names = Dictionary::from_iter(vec![(
        "EmbeddedFiles",
        Object::Dictionary(Dictionary::from_iter(vec![(
            "Names",
            Object::Array(vec![
                Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
                Object::Reference(spec_id),
            ]),
        )])),
    )]);
    let catalog_id = doc.add_object(Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
        ("Names", Object::Dictionary(names)),
        ("AF", Object::Array(vec![Object::Reference(spec_id)])),
    ]));
    if padding > 0 {
        // xorshift: incompressible, deterministic.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes: Vec<u8> = (0..padding)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        doc.add_object(Stream::new(Dictionary::new(), bytes));
    }
    doc.trailer.set("Root", Object::Reference(catalog_id));
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("writable PDF");
    out
}
