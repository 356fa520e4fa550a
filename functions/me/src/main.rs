//! Lambda entry point; the handler lives in `userfields::handlers::me`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::OtpKey, userfields::handlers::me::handle).await
}
