using LambdaRecon.Local;

// The local stand-in for `sam local`, driven by template.yaml:
//   start                                   the API on Kestrel, the SQS poller feeding LedgerWorkerFunction,
//                                           and ReconcileFunction on the template's schedule (the default)
//   start-api                               the API alone
//   invoke <Function> --event <file.json>   one invocation of a function's entry point; prints its response
//   import-statement --account <id> --format csv|camt053 [--mapping <name> | --mapping-file <mapping.json>] --file <path>
//   dlq-redrive                             moves the DLQ's messages back to the queue
//   migrate                                 applies migrations/ to DATABASE_URL's database
//   keys create|list|revoke                 API keys in DATABASE_URL's database
//   tenants create|list                     tenants in DATABASE_URL's database
//   openapi                                 the API's OpenAPI document on stdout (docs/openapi.json); needs no service
return await Commands.RunAsync(args);
