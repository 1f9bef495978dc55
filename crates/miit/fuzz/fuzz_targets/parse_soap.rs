//! Fuzzes the SOAP envelope readers and the whole dispatcher (with a backend that knows no
//! account, so every call ends in a code).
#![no_main]

use async_trait::async_trait;
use beian_miit::v3::codes::{QueryConditionType, ReturnCode};
use beian_miit::v3::returns::StatusInfo;
use beian_miit::v3::server::{
    DecodedUpload, IspAccount, IspBackend, OutgoingFile, PreviousUpload, handle_soap,
};
use beian_miit::v3::soap;
use libfuzzer_sys::fuzz_target;

struct NoAccounts;

#[async_trait]
impl IspBackend for NoAccounts {
    async fn account(&self, _: i64) -> Option<IspAccount> {
        None
    }
    async fn accept_upload(&self, _: i64, _: DecodedUpload) -> Result<(), ReturnCode> {
        Err(ReturnCode::Other)
    }
    async fn next_download(&self, _: i64) -> Result<Option<OutgoingFile>, ReturnCode> {
        Ok(None)
    }
    async fn ack_download(&self, _: i64, _: &str) -> Result<(), ReturnCode> {
        Ok(())
    }
    async fn previous_upload(&self, _: i64) -> Result<Option<PreviousUpload>, ReturnCode> {
        Ok(None)
    }
    async fn query_status(
        &self,
        _: i64,
        _: QueryConditionType,
        _: &str,
    ) -> Result<StatusInfo, ReturnCode> {
        Err(ReturnCode::Other)
    }
    async fn verify_password(&self, _: i64, _: &str, _: &str) -> Result<bool, ReturnCode> {
        Ok(false)
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = soap::parse_request(data);
    let _ = soap::parse_response(data);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (status, _) = rt.block_on(handle_soap(data, &NoAccounts));
    assert!(status == 200 || status == 500);
});
