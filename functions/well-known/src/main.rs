//! Lambda entry point; the handler lives in `userfields::handlers::well_known`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::well_known::handle).await
}
