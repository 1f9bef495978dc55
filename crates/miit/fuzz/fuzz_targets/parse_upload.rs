//! Fuzzes the upload file parser, the download parser, the return parser and the codec.
#![no_main]

use beian_miit::v3::codec;
use beian_miit::v3::download::DownloadData;
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::server::parse_upload;
use beian_miit::v3::xml::from_document_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_upload(data, 1);
    let _ = from_document_bytes::<DownloadData>(data);
    let _ = from_document_bytes::<MethodReturn>(data);
    let _ = codec::unzip_one(data, 1 << 20);
});
