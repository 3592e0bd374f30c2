using System.Text;

namespace LambdaRecon.Api.Tests.BadInput;

/// <summary>
/// One bad request to a POST endpoint and the answer it must get. <paramref name="Path"/> may hold
/// {posted}, the id of a posted transaction the fixture creates. <paramref name="Field"/> is the
/// problem's <c>field</c> when one field is at fault, checked when given.
/// </summary>
public sealed record BadInput(
    string Class, string Name, string Path, string? ContentType, byte[] Body, int Status, string Type, string? Field = null)
{
    /// <summary>Sent without a Content-Length, as chunks.</summary>
    public bool Chunked { get; init; }

    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    public override string ToString() => $"{Class}: {Name}";
}

/// <summary>
/// The bad-input corpus: every POST endpoint (accounts, transactions, refunds, statement import as CSV
/// and camt.053, break resolution, reconcile, admin keys) against wrong types, inexact and overflowing
/// amounts, repeated fields, NUL, unpaired surrogates, invalid UTF-8, wrong or missing media types,
/// truncated and deeply nested JSON, XML bombs, oversized bodies, header-only statements, bad dates.
/// Generated per endpoint and field where the same fault applies to each, named so a failure reads as
/// "class: endpoint field fault".
/// </summary>
public static class BadInputCorpus
{
    // The fixture's accounts (BadInputFixture): USD without overdraft limit, USD, the bank account
    // statements go to, and a JPY account.
    public const string Source = "bi-src";
    public const string Destination = "bi-dst";
    public const string Bank = "bi-bank";
    public const string Yen = "bi-jpy";

    private const string Json = "application/json";
    private const string Accounts = "/api/v1/accounts";
    private const string Transactions = "/api/v1/transactions";
    private const string Refund = "/api/v1/transactions/{posted}/refund";
    private const string Resolve = "/api/v1/reconciliations/breaks/7d3f2a8e-0b1c-4d5e-9f60-718293a4b5c6/resolve";
    private const string Reconcile = $"/api/v1/accounts/{Bank}/reconcile";
    private const string Keys = "/api/v1/admin/keys";
    private const string Csv = $"/api/v1/statements?account_id={Bank}&format=csv";
    private const string Stripe = $"/api/v1/statements?account_id={Bank}&format=csv&mapping=stripe";
    private const string Camt = $"/api/v1/statements?account_id={Bank}&format=camt053";

    /// <summary>Stands for bytes that are not UTF-8: replaced after the body is encoded.</summary>
    private const char NotUtf8 = '\uE000';

    private static readonly string Problems = "https://lambdarecon.dev/problems/";

    /// <summary>A JSON endpoint with a valid body and, for each string field, a body with that field's value replaced by raw JSON.</summary>
    private sealed record JsonEndpoint(string Name, string Path, string Valid, (string Field, Func<string, string> With)[] Strings);

    private static readonly JsonEndpoint[] JsonEndpoints =
    [
        new("accounts", Accounts, """{"account_id":"bi-new","currency":"USD"}""",
        [
            ("account_id", v => $$"""{"account_id":{{v}},"currency":"USD"}"""),
            ("currency", v => $$"""{"account_id":"bi-new","currency":{{v}}}"""),
            ("kind", v => $$"""{"account_id":"bi-new","currency":"USD","kind":{{v}}}"""),
            ("metadata.note", v => $$$"""{"account_id":"bi-new","currency":"USD","metadata":{"note":{{{v}}}}}"""),
        ]),
        new("transactions", Transactions, Transfer(),
        [
            ("transaction.source_account_id", v => $$"""{"transaction":{"source_account_id":{{v}},"destination_account_id":"{{Destination}}","amount":"1.00"},"idempotencyKey":"bi-k"}"""),
            ("transaction.destination_account_id", v => $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":{{v}},"amount":"1.00"},"idempotencyKey":"bi-k"}"""),
            ("transaction.amount", v => Transfer(amount: v)),
            ("transaction.currency", v => Transfer(extra: $$""","currency":{{v}}""")),
            ("transaction.description", v => Transfer(extra: $$""","description":{{v}}""")),
            ("transaction.metadata.order", v => Transfer(extra: $$$""","metadata":{"order":{{{v}}}}""")),
            ("idempotencyKey", v => $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Destination}}","amount":"1.00"},"idempotencyKey":{{v}}}"""),
        ]),
        new("refunds", Refund, """{"amount":"1.00","reason":"returned","idempotencyKey":"bi-r"}""",
        [
            ("amount", v => $$"""{"amount":{{v}},"reason":"returned","idempotencyKey":"bi-r"}"""),
            ("reason", v => $$"""{"amount":"1.00","reason":{{v}},"idempotencyKey":"bi-r"}"""),
            ("idempotencyKey", v => $$"""{"amount":"1.00","reason":"returned","idempotencyKey":{{v}}}"""),
        ]),
        new("break resolution", Resolve, """{"action":"explain","note":"bank fee"}""",
        [
            ("action", v => $$"""{"action":{{v}},"note":"bank fee"}"""),
            ("note", v => $$"""{"action":"explain","note":{{v}}}"""),
        ]),
        new("reconcile", Reconcile, """{"dry_run":true}""",
        [
            ("from", v => $$"""{"from":{{v}},"dry_run":true}"""),
        ]),
        new("admin keys", Keys, """{"client_id":"bi-client","scopes":["ledger:read"]}""",
        [
            ("client_id", v => $$"""{"client_id":{{v}},"scopes":["ledger:read"]}"""),
            ("description", v => $$"""{"client_id":"bi-client","scopes":["ledger:read"],"description":{{v}}}"""),
            ("scopes[0]", v => $$"""{"client_id":"bi-client","scopes":[{{v}}]}"""),
        ]),
    ];

    public static IReadOnlyList<BadInput> All { get; } = Build();

    private static string Transfer(string amount = "\"1.00\"", string extra = "", string key = "\"bi-k\"") =>
        $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Destination}}","amount":{{amount}}{{extra}}},"idempotencyKey":{{key}}}""";

    private static List<BadInput> Build()
    {
        var all = new List<BadInput>();
        RepeatedFields(all);
        TextThatIsNotUnicode(all);
        MediaTypes(all);
        MalformedJson(all);
        Oversized(all);
        WrongTypes(all);
        Amounts(all);
        Ids(all);
        Semantics(all);
        CsvStatements(all);
        XmlStatements(all);
        StatementTransport(all);
        return all;
    }

    private static byte[] Utf8(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var marker = Encoding.UTF8.GetBytes(NotUtf8.ToString());
        var at = bytes.AsSpan().IndexOf(marker);
        return at < 0 ? bytes : [.. bytes[..at], 0xC3, 0x28, .. bytes[(at + marker.Length)..]];
    }

    private static BadInput JsonCase(string @class, string name, string path, string body, int status, string type, string? field = null) =>
        new(@class, name, path, Json, Utf8(body), status, Problems + type, field);

    private static void RepeatedFields(List<BadInput> all)
    {
        const string c = "duplicate field";
        // Each string field of each endpoint given twice: the value, then the name again with another value.
        foreach (var endpoint in JsonEndpoints)
        {
            foreach (var (field, with) in endpoint.Strings.Where(s => !s.Field.EndsWith(']')))
            {
                var name = field[(field.LastIndexOf('.') + 1)..];
                all.Add(JsonCase(c, $"{endpoint.Name} {field} twice", endpoint.Path, with($"\"a\",\"{name}\":\"b\""), 400, "duplicate-field", field));
            }
        }

        // The attacks from the report, and repeats the generated ones do not reach.
        all.Add(JsonCase(c, "accounts overdraft_limit \"0\" then null (an unlimited overdraft)", Accounts,
            """{"account_id":"bi-new","currency":"USD","overdraft_limit":"0","overdraft_limit":null}""", 400, "duplicate-field", "overdraft_limit"));
        all.Add(JsonCase(c, "transactions amount 1 then 1000000", Transactions,
            Transfer(amount: "1,\"amount\":1000000"), 400, "duplicate-field", "transaction.amount"));
        all.Add(JsonCase(c, "break resolution action explain then adjust", Resolve,
            """{"action":"explain","action":"adjust","note":"n"}""", 400, "duplicate-field", "action"));
        all.Add(JsonCase(c, "transactions the transaction object twice", Transactions,
            $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Destination}}","amount":"1"},"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Destination}}","amount":"900"},"idempotencyKey":"bi-k"}""",
            400, "duplicate-field", "transaction"));
        all.Add(JsonCase(c, "transactions amount twice, the second name escaped", Transactions,
            Transfer(amount: "1,\"\\u0061mount\":1000000"), 400, "duplicate-field", "transaction.amount"));
        all.Add(JsonCase(c, "transactions a repeat inside an array of metadata", Transactions,
            Transfer(extra: ""","metadata":{"items":[{"sku":"a"},{"sku":"b","sku":"c"}]}"""), 400, "duplicate-field", "transaction.metadata.items[1].sku"));
        all.Add(JsonCase(c, "refunds amount twice as numbers", Refund,
            """{"amount":1,"amount":5000,"reason":"r","idempotencyKey":"bi-r"}""", 400, "duplicate-field", "amount"));
        all.Add(JsonCase(c, "reconcile dry_run true then false", Reconcile,
            """{"dry_run":true,"dry_run":false}""", 400, "duplicate-field", "dry_run"));
        all.Add(JsonCase(c, "reconcile fee_tolerance_bp twice", Reconcile,
            """{"fee_tolerance_bp":1,"fee_tolerance_bp":10000}""", 400, "duplicate-field", "fee_tolerance_bp"));
        all.Add(JsonCase(c, "admin keys scopes twice", Keys,
            """{"client_id":"bi-client","scopes":["ledger:read"],"scopes":["admin"]}""", 400, "duplicate-field", "scopes"));
        all.Add(JsonCase(c, "accounts metadata twice", Accounts,
            """{"account_id":"bi-new","currency":"USD","metadata":{},"metadata":{"a":1}}""", 400, "duplicate-field", "metadata"));
    }

    private static void TextThatIsNotUnicode(List<BadInput> all)
    {
        foreach (var endpoint in JsonEndpoints)
        {
            foreach (var (field, with) in endpoint.Strings)
            {
                var at = $"{endpoint.Name} {field}";
                all.Add(JsonCase("NUL in a string", $"{at} holds \\u0000", endpoint.Path, with("\"a\\u0000b\""), 400, "validation", field));
                all.Add(JsonCase("unpaired surrogate", $"{at} holds a lone high surrogate \\ud800", endpoint.Path, with("\"a\\ud800\""), 400, "malformed-json", field));
                all.Add(JsonCase("unpaired surrogate", $"{at} holds a lone low surrogate \\udc00", endpoint.Path, with("\"\\udc00b\""), 400, "malformed-json", field));
                all.Add(JsonCase("invalid UTF-8", $"{at} holds bytes C3 28", endpoint.Path, with($"\"a{NotUtf8}b\""), 400, "malformed-json", field));
            }
        }

        all.Add(JsonCase("NUL in a string", "accounts a field name holding \\u0000", Accounts,
            """{"account_id":"bi-new","currency":"USD","metadata":{"a\u0000":1}}""", 400, "validation", "metadata.(a field name)"));
        all.Add(JsonCase("unpaired surrogate", "transactions surrogates in the wrong order \\udc00\\ud800", Transactions,
            Transfer(extra: ""","description":"\udc00\ud800" """), 400, "malformed-json", "transaction.description"));
        all.Add(JsonCase("unpaired surrogate", "accounts a field name holding \\ud800", Accounts,
            """{"account_id":"bi-new","currency":"USD","metadata":{"\ud800":1}}""", 400, "malformed-json", "metadata.(a field name)"));
        all.Add(JsonCase("invalid UTF-8", "admin keys a field name with bytes C3 28", Keys,
            $$"""{"client_id":"bi-client","scopes":["ledger:read"],"x{{NotUtf8}}":1}""", 400, "malformed-json", "(a field name)"));
        // Bytes the reader refuses as it reads: outside a string, or control bytes inside one.
        all.Add(new BadInput("invalid UTF-8", "transactions a raw NUL byte inside a string", Transactions, Json,
            [.. Encoding.UTF8.GetBytes("""{"transaction":{"source_account_id":"a"""), 0, .. Encoding.UTF8.GetBytes("\"}}")], 400, Problems + "malformed-json"));
        all.Add(new BadInput("invalid UTF-8", "accounts a UTF-16 body", Accounts, Json,
            Encoding.Unicode.GetBytes("""{"account_id":"bi-new","currency":"USD"}"""), 400, Problems + "malformed-json"));
        all.Add(new BadInput("invalid UTF-8", "accounts an encoded surrogate ED A0 80", Accounts, Json,
            [.. Encoding.UTF8.GetBytes("""{"account_id":"bi-new","currency":"USD","kind":"a"""), 0xED, 0xA0, 0x80, .. Encoding.UTF8.GetBytes("\"}")],
            400, Problems + "malformed-json", "kind"));
        all.Add(new BadInput("invalid UTF-8", "refunds an overlong encoding C0 AF", Refund, Json,
            [.. Encoding.UTF8.GetBytes("""{"amount":"1.00","idempotencyKey":"bi-r","reason":"a"""), 0xC0, 0xAF, .. Encoding.UTF8.GetBytes("\"}")],
            400, Problems + "malformed-json", "reason"));
        all.Add(new BadInput("invalid UTF-8", "break resolution a truncated sequence E2 82", Resolve, Json,
            [.. Encoding.UTF8.GetBytes("""{"action":"explain","note":"a"""), 0xE2, 0x82, .. Encoding.UTF8.GetBytes("\"}")],
            400, Problems + "malformed-json", "note"));
    }

    private static void MediaTypes(List<BadInput> all)
    {
        const string c = "media type";
        (string? Type, string Label)[] refused =
        [
            (null, "no Content-Type"),
            ("text/plain", "text/plain"),
            ("text/plain; charset=utf-8", "text/plain with a charset"),
            ("application/x-www-form-urlencoded", "a form (curl's default)"),
            ("text/json", "text/json (holds \"json\")"),
            ("application/json-seq", "application/json-seq"),
            ("application/xml", "application/xml"),
            ("application/json; charset=iso-8859-1", "JSON in ISO-8859-1"),
            ("multipart/form-data; boundary=x", "multipart"),
        ];
        foreach (var endpoint in JsonEndpoints)
        {
            foreach (var (type, label) in refused)
            {
                all.Add(new BadInput(c, $"{endpoint.Name} with {label}", endpoint.Path, type, Encoding.UTF8.GetBytes(endpoint.Valid), 415, Problems + "unsupported-media-type"));
            }
        }

        // A statement body is the file whatever its Content-Type says (curl --data-binary sends a form unless
        // told otherwise): a bad file is refused for what it holds, never for its media type, and never a 5xx.
        const string csv = "Date,Amount,Currency\n";
        const string camt = """<Document><BkToCstmrStmt><Stmt></Stmt></BkToCstmrStmt></Document>""";
        foreach (var (type, label, path, body) in new (string?, string, string, string)[]
                 {
                     (null, "a header-only CSV statement without Content-Type", Csv, csv),
                     ("application/x-www-form-urlencoded", "a header-only CSV statement as a form (curl --data-binary's default)", Csv, csv),
                     ("application/json", "a header-only CSV statement as JSON", Csv, csv),
                     ("application/xml", "a header-only CSV statement as XML", Csv, csv),
                     ("text/csv; charset=windows-1252", "a header-only CSV statement in windows-1252", Csv, csv),
                     (null, "a camt.053 statement without entries and without Content-Type", Camt, camt),
                     ("text/csv", "a camt.053 statement without entries as CSV", Camt, camt),
                     ("application/json", "a camt.053 statement without entries as JSON", Camt, camt),
                     ("image/png", "a camt.053 statement without entries as an image", Camt, camt),
                 })
        {
            all.Add(new BadInput(c, label, path, type, Encoding.UTF8.GetBytes(body), 400, Problems + "malformed-statement", "file"));
        }
    }

    private static void MalformedJson(List<BadInput> all)
    {
        const string c = "malformed JSON";
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
        foreach (var endpoint in JsonEndpoints)
        {
            var valid = endpoint.Valid;
            foreach (var (label, body) in new[]
                     {
                         // Reconcile's body is optional: an empty one is no fault there.
                         (endpoint.Path == Reconcile ? "whitespace alone" : "an empty body", endpoint.Path == Reconcile ? "  " : ""),
                         ("a truncated body", valid[..(valid.Length / 2)]),
                         ("an array", $"[{valid}]"),
                         ("a string", "\"{}\""),
                         ("null", "null"),
                         ("two objects", valid + "{}"),
                         ("single quotes", valid.Replace('"', '\'')),
                         ("a trailing comma", valid[..^1] + ",}"),
                         ("a comment", "/* c */" + valid),
                         ("a byte order mark", "\uFEFF" + valid),
                         ("nesting 40 deep", valid[..^1] + ",\"metadata\":" + deep + "}"),
                     })
            {
                all.Add(JsonCase(c, $"{endpoint.Name} {label}", endpoint.Path, body, 400, "malformed-json"));
            }
        }

        all.Add(JsonCase(c, "transactions NaN as the amount", Transactions, Transfer(amount: "NaN"), 400, "malformed-json"));
        all.Add(JsonCase(c, "transactions a hexadecimal amount 0x10", Transactions, Transfer(amount: "0x10"), 400, "malformed-json"));
        all.Add(JsonCase(c, "accounts 30,000 nested arrays in metadata", Accounts,
            """{"account_id":"bi-new","currency":"USD","metadata":""" + new string('[', 30_000) + new string(']', 30_000) + "}", 400, "malformed-json"));
    }

    private static void Oversized(List<BadInput> all)
    {
        const string c = "oversized body";
        foreach (var endpoint in JsonEndpoints)
        {
            // Valid JSON just past 64 KiB: refused for its size, not its content.
            var padded = endpoint.Valid[..^1] + ",\"pad\":\"" + new string('x', 64 * 1024) + "\"}";
            all.Add(JsonCase(c, $"{endpoint.Name} 64 KiB + with Content-Length", endpoint.Path, padded, 413, "body-too-large"));
            all.Add(JsonCase(c, $"{endpoint.Name} 64 KiB + chunked", endpoint.Path, padded, 413, "body-too-large") with { Chunked = true });
        }

        var bigCsv = "Date,Amount,Currency,Description\n" + string.Concat(Enumerable.Range(0, 4 * 1024 * 1024 / 40 + 1)
            .Select(i => $"2026-01-05,1.00,USD,line {i,20}\n"));
        all.Add(new BadInput(c, "a CSV statement over 4 MiB", Csv, "text/csv", Encoding.UTF8.GetBytes(bigCsv), 413, Problems + "body-too-large"));
        all.Add(new BadInput(c, "a CSV statement over 4 MiB, chunked", Csv, "text/csv", Encoding.UTF8.GetBytes(bigCsv), 413, Problems + "body-too-large") { Chunked = true });
        all.Add(new BadInput(c, "a camt.053 statement 1,000,000 elements deep (7 MB)", Camt, "application/xml",
            Encoding.UTF8.GetBytes(DeepCamt(1_000_000)), 413, Problems + "body-too-large"));
        all.Add(new BadInput(c, "a CSV statement over 4 MiB in a multipart form", Csv, "multipart/form-data; boundary=bi",
            Multipart("bi", "statement.csv", bigCsv), 413, Problems + "body-too-large"));
    }

    private static void WrongTypes(List<BadInput> all)
    {
        const string c = "wrong type";
        void Add(string name, string path, string body, string field) => all.Add(JsonCase(c, name, path, body, 400, "validation", field));

        Add("accounts account_id a number", Accounts, """{"account_id":5,"currency":"USD"}""", "account_id");
        Add("accounts currency a number", Accounts, """{"account_id":"bi-new","currency":840}""", "currency");
        Add("accounts kind true", Accounts, """{"account_id":"bi-new","currency":"USD","kind":true}""", "kind");
        Add("accounts kind unknown", Accounts, """{"account_id":"bi-new","currency":"USD","kind":"savings"}""", "kind");
        Add("accounts metadata a string", Accounts, """{"account_id":"bi-new","currency":"USD","metadata":"x"}""", "metadata");
        Add("accounts metadata an array", Accounts, """{"account_id":"bi-new","currency":"USD","metadata":[1]}""", "metadata");
        Add("accounts overdraft_limit a number", Accounts, """{"account_id":"bi-new","currency":"USD","overdraft_limit":100}""", "overdraft_limit");
        Add("accounts overdraft_limit an object", Accounts, """{"account_id":"bi-new","currency":"USD","overdraft_limit":{}}""", "overdraft_limit");
        Add("accounts currency missing", Accounts, """{"account_id":"bi-new"}""", "currency");
        Add("accounts currency unknown", Accounts, """{"account_id":"bi-new","currency":"USX"}""", "currency");
        Add("accounts an unknown field", Accounts, """{"account_id":"bi-new","currency":"USD","owner":"me"}""", "owner");
        Add("transactions transaction a string", Transactions, """{"transaction":"pay","idempotencyKey":"bi-k"}""", "transaction");
        Add("transactions transaction missing", Transactions, """{"idempotencyKey":"bi-k"}""", "transaction");
        Add("transactions source a number", Transactions, $$"""{"transaction":{"source_account_id":1,"destination_account_id":"{{Destination}}","amount":"1"},"idempotencyKey":"bi-k"}""", "transaction.source_account_id");
        Add("transactions amount true", Transactions, Transfer(amount: "true"), "transaction.amount");
        Add("transactions amount an object", Transactions, Transfer(amount: "{\"value\":1}"), "transaction.amount");
        Add("transactions amount an array", Transactions, Transfer(amount: "[1]"), "transaction.amount");
        Add("transactions amount missing", Transactions, $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Destination}}"},"idempotencyKey":"bi-k"}""", "transaction.amount");
        Add("transactions description a number", Transactions, Transfer(extra: ""","description":5"""), "transaction.description");
        Add("transactions description of 501 characters", Transactions, Transfer(extra: $$""","description":"{{new string('d', 501)}}" """), "transaction.description");
        Add("transactions metadata a string", Transactions, Transfer(extra: ""","metadata":"x" """), "transaction.metadata");
        Add("transactions idempotencyKey a number", Transactions, Transfer(key: "7"), "idempotencyKey");
        Add("transactions an unknown field inside transaction", Transactions, Transfer(extra: ""","fee":"1" """), "transaction.fee");
        Add("refunds reason a number", Refund, """{"amount":"1.00","reason":5,"idempotencyKey":"bi-r"}""", "reason");
        Add("refunds reason missing", Refund, """{"amount":"1.00","idempotencyKey":"bi-r"}""", "reason");
        Add("refunds reason blank", Refund, """{"amount":"1.00","reason":"   ","idempotencyKey":"bi-r"}""", "reason");
        Add("refunds amount an array", Refund, """{"amount":[],"reason":"r","idempotencyKey":"bi-r"}""", "amount");
        Add("refunds an unknown field", Refund, """{"amount":"1.00","reason":"r","idempotencyKey":"bi-r","to":"x"}""", "to");
        Add("break resolution action a number", Resolve, """{"action":1,"note":"n"}""", "action");
        Add("break resolution action unknown", Resolve, """{"action":"delete","note":"n"}""", "action");
        Add("break resolution note an object", Resolve, """{"action":"explain","note":{}}""", "note");
        Add("break resolution note missing", Resolve, """{"action":"explain"}""", "note");
        Add("admin keys scopes a string", Keys, """{"client_id":"bi-client","scopes":"admin"}""", "scopes");
        Add("admin keys scopes of numbers", Keys, """{"client_id":"bi-client","scopes":[1]}""", "scopes");
        Add("admin keys scopes empty", Keys, """{"client_id":"bi-client","scopes":[]}""", "scopes");
        Add("admin keys scopes unknown", Keys, """{"client_id":"bi-client","scopes":["root"]}""", "scopes");
        Add("admin keys a scope twice", Keys, """{"client_id":"bi-client","scopes":["admin","admin"]}""", "scopes");
        Add("admin keys client_id a number", Keys, """{"client_id":1,"scopes":["admin"]}""", "client_id");
        Add("admin keys client_id with a slash", Keys, """{"client_id":"a/b","scopes":["admin"]}""", "client_id");
        Add("admin keys description of 201 characters", Keys, $$"""{"client_id":"bi-client","scopes":["admin"],"description":"{{new string('d', 201)}}"}""", "description");
        Add("reconcile from a number", Reconcile, """{"from":5}""", "from");
        Add("reconcile to not an instant", Reconcile, """{"to":"yesterday"}""", "to");
        Add("reconcile statement_ids a string", Reconcile, """{"statement_ids":"all"}""", "statement_ids");
        Add("reconcile statement_ids not uuids", Reconcile, """{"statement_ids":["s-1"]}""", "statement_ids");
        Add("reconcile dry_run a string", Reconcile, """{"dry_run":"yes"}""", "dry_run");
        Add("reconcile date_window_days a string", Reconcile, """{"date_window_days":"3"}""", "date_window_days");
        Add("reconcile date_window_days 32", Reconcile, """{"date_window_days":32}""", "date_window_days");
        Add("reconcile date_window_days -1", Reconcile, """{"date_window_days":-1}""", "date_window_days");
        Add("reconcile date_window_days 1e100", Reconcile, """{"date_window_days":1e100}""", "date_window_days");
        Add("reconcile fee_tolerance_minor -1", Reconcile, """{"fee_tolerance_minor":-1}""", "fee_tolerance_minor");
        Add("reconcile fee_tolerance_minor 1.5", Reconcile, """{"fee_tolerance_minor":1.5}""", "fee_tolerance_minor");
        Add("reconcile fee_tolerance_minor past 64 bits", Reconcile, """{"fee_tolerance_minor":9223372036854775808}""", "fee_tolerance_minor");
        Add("reconcile fee_tolerance_bp 10001", Reconcile, """{"fee_tolerance_bp":10001}""", "fee_tolerance_bp");
        Add("reconcile an unknown field", Reconcile, """{"window":3}""", "window");
    }

    private static void Amounts(List<BadInput> all)
    {
        const string c = "amount";
        const string amount = "transaction.amount";
        void Transfer2(string label, string value, string extra = "") =>
            all.Add(JsonCase(c, $"transactions {label}", Transactions, Transfer(amount: value, extra: extra), 400, "validation", amount));

        Transfer2("1.001 USD (three fraction digits)", "\"1.001\"", ",\"currency\":\"USD\"");
        Transfer2("1.001 with no currency, the account's is USD", "1.001");
        Transfer2("0.00001 with no currency (more than any currency has)", "\"0.00001\"");
        Transfer2("0", "0");
        Transfer2("-5", "-5");
        Transfer2("-0.01 as a string", "\"-0.01\"");
        Transfer2("+5", "\"+5\"");
        Transfer2("a leading blank", "\" 5\"");
        Transfer2("a trailing blank", "\"5 \"");
        Transfer2("a thousands separator", "\"1,000.00\"");
        Transfer2("a decimal comma", "\"1,50\"");
        Transfer2("an exponent 1e2", "1e2");
        Transfer2("an exponent 1E-2 as a string", "\"1E-2\"");
        Transfer2("1e400", "1e400");
        Transfer2("a point with no fraction", "\"5.\"");
        Transfer2("a fraction with no whole part", "\".5\"");
        Transfer2("Arabic-Indic digits", "\"\u0661\u0662\"");
        Transfer2("an empty string", "\"\"");
        Transfer2("Infinity as a string", "\"Infinity\"");
        Transfer2("92233720368547758.08 USD (one past 64 bits)", "\"92233720368547758.08\"", ",\"currency\":\"USD\"");
        Transfer2("92233720368547758.08 with no currency", "92233720368547758.08");
        Transfer2("a number of 60,000 digits", new string('9', 60_000));
        Transfer2("19 nines as a string", "\"9999999999999999999\"");
        all.Add(JsonCase(c, "transactions 0.5 JPY (no minor unit)", Transactions,
            $$"""{"transaction":{"source_account_id":"{{Yen}}","destination_account_id":"{{Yen}}-2","amount":"0.5"},"idempotencyKey":"bi-k"}""", 400, "validation", amount));
        all.Add(JsonCase(c, "refunds 1.001", Refund, """{"amount":"1.001","reason":"r","idempotencyKey":"bi-r"}""", 400, "validation", "amount"));
        all.Add(JsonCase(c, "refunds 0", Refund, """{"amount":0,"reason":"r","idempotencyKey":"bi-r"}""", 400, "validation", "amount"));
        all.Add(JsonCase(c, "refunds -1", Refund, """{"amount":"-1","reason":"r","idempotencyKey":"bi-r"}""", 400, "validation", "amount"));
        all.Add(JsonCase(c, "refunds past 64 bits", Refund, """{"amount":"92233720368547758.08","reason":"r","idempotencyKey":"bi-r"}""", 400, "validation", "amount"));
        all.Add(JsonCase(c, "refunds an exponent", Refund, """{"amount":1e1,"reason":"r","idempotencyKey":"bi-r"}""", 400, "validation", "amount"));
        foreach (var (label, value) in new[] { ("-1", "\"-1\""), ("0.001", "\"0.001\""), ("1e3", "\"1e3\""), ("past 64 bits", "\"92233720368547758.08\""), ("a number", "5") })
        {
            all.Add(JsonCase(c, $"accounts overdraft_limit {label}", Accounts,
                $$"""{"account_id":"bi-new","currency":"USD","overdraft_limit":{{value}}}""", 400, "validation", "overdraft_limit"));
        }
    }

    private static void Ids(List<BadInput> all)
    {
        const string c = "bad id";
        foreach (var (label, id) in new[]
                 {
                     (".", "."), ("..", ".."), ("...", "..."), ("empty", ""), ("65 characters", new string('a', 65)),
                     ("with a slash", "a/b"), ("with a blank", "a b"), ("with a percent escape", "a%2Fb"), ("non-ASCII", "konto-\u00fc"),
                     ("with a question mark", "a?b"), ("with a hash", "a#b"),
                 })
        {
            all.Add(JsonCase(c, $"accounts account_id {label}", Accounts, $$"""{"account_id":"{{id}}","currency":"USD"}""", 400, "validation", "account_id"));
        }

        all.Add(JsonCase(c, "transactions source ..", Transactions,
            $$"""{"transaction":{"source_account_id":"..","destination_account_id":"{{Destination}}","amount":"1"},"idempotencyKey":"bi-k"}""", 400, "validation", "transaction.source_account_id"));
        all.Add(JsonCase(c, "transactions destination .", Transactions,
            $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":".","amount":"1"},"idempotencyKey":"bi-k"}""", 400, "validation", "transaction.destination_account_id"));
        all.Add(JsonCase(c, "transactions source equals destination", Transactions,
            $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Source}}","amount":"1"},"idempotencyKey":"bi-k"}""", 400, "validation", "transaction.destination_account_id"));
        foreach (var (label, key) in new[] { ("empty", "\"\""), ("of 256 characters", $"\"{new string('k', 256)}\""), ("non-ASCII", "\"cl\u00e9\""), ("with a tab", "\"a\\tb\""), ("missing", "null") })
        {
            all.Add(JsonCase(c, $"transactions idempotencyKey {label}", Transactions, Transfer(key: key), 400, "validation", "idempotencyKey"));
        }

        all.Add(new BadInput(c, "transactions header and body keys differ", Transactions, Json, Encoding.UTF8.GetBytes(Transfer()), 400, Problems + "validation", "idempotencyKey")
        {
            Headers = [("Idempotency-Key", "bi-other")],
        });
        all.Add(JsonCase(c, "refunds idempotencyKey missing", Refund, """{"amount":"1.00","reason":"r"}""", 400, "validation", "idempotencyKey"));
    }

    /// <summary>Well-formed requests about things that do not exist or do not fit: refused without a write too.</summary>
    private static void Semantics(List<BadInput> all)
    {
        const string c = "refused by meaning";
        all.Add(JsonCase(c, "transactions from an unknown account", Transactions,
            $$"""{"transaction":{"source_account_id":"bi-nobody","destination_account_id":"{{Destination}}","amount":"1"},"idempotencyKey":"bi-k"}""", 422, "unknown-account", "transaction.source_account_id"));
        all.Add(JsonCase(c, "transactions in EUR between USD accounts", Transactions, Transfer(extra: ""","currency":"EUR" """), 422, "currency-mismatch", "transaction.source_account_id"));
        all.Add(JsonCase(c, "transactions between USD and JPY accounts", Transactions,
            $$"""{"transaction":{"source_account_id":"{{Source}}","destination_account_id":"{{Yen}}","amount":"1"},"idempotencyKey":"bi-k"}""", 422, "currency-mismatch", "transaction.destination_account_id"));
        all.Add(JsonCase(c, "accounts an existing id in another currency", Accounts, $$"""{"account_id":"{{Destination}}","currency":"EUR"}""", 409, "account-exists", "account_id"));
        all.Add(JsonCase(c, "refunds of a transaction that does not exist", "/api/v1/transactions/00000000-0000-0000-0000-000000000001/refund",
            """{"amount":"1.00","reason":"r","idempotencyKey":"bi-r"}""", 404, "not-found"));
        all.Add(JsonCase(c, "break resolution of a break that does not exist", Resolve, """{"action":"adjust","note":"n"}""", 404, "not-found"));
        all.Add(JsonCase(c, "reconcile an account that does not exist", "/api/v1/accounts/bi-nobody/reconcile", """{"dry_run":true}""", 404, "not-found"));
        all.Add(new BadInput(c, "a statement for an account that does not exist", "/api/v1/statements?account_id=bi-nobody&format=csv", "text/csv",
            Encoding.UTF8.GetBytes("Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 404, Problems + "not-found"));
        all.Add(new BadInput(c, "a CSV statement without account_id", "/api/v1/statements?format=csv", "text/csv",
            Encoding.UTF8.GetBytes("Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 422, Problems + "statement-account-unknown", "account_id"));
        all.Add(new BadInput(c, "a statement in an unknown format", $"/api/v1/statements?account_id={Bank}&format=mt950", "text/plain",
            Encoding.UTF8.GetBytes(":20:X\n"), 400, Problems + "validation", "format"));
        all.Add(new BadInput(c, "a statement with an unknown mapping", $"/api/v1/statements?account_id={Bank}&format=csv&mapping=paypal", "text/csv",
            Encoding.UTF8.GetBytes("Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 400, Problems + "validation", "mapping"));
    }

    private static void CsvStatements(List<BadInput> all)
    {
        const string c = "CSV statement";
        const string header = "Date,Amount,Currency,Id,Reference,End To End Id\n";
        void Add(string name, string csv, string field, string path = Csv) =>
            all.Add(new BadInput(c, name, path, "text/csv", Utf8(csv), 400, Problems + "malformed-statement", field));

        Add("an empty file", "", "line 1");
        Add("a header only", header, "file");
        Add("a header and blank lines", header + "\n\n\r\n", "file");
        Add("a stripe export with a header only", "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n", "file", Stripe);
        Add("a NUL byte on line 3", header + "2026-01-05,1.00,USD,a,,\n2026-01-05,2.00,USD,b\0,,\n", "line 3");
        Add("bytes that are not UTF-8 on line 2", header + $"2026-01-05,1.00,USD,a,{NotUtf8},\n", "line 2");
        all.Add(new BadInput(c, "a UTF-16 file with its byte order mark", Csv, "text/csv",
            [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(header + "2026-01-05,1.00,USD,a,,\n")], 400, Problems + "malformed-statement", "line 1"));
        Add($"an id of 3,000 characters", header + $"2026-01-05,1.00,USD,{new string('i', 3000)},,\n", "line 2");
        Add($"a reference of 513 characters", header + $"2026-01-05,1.00,USD,a,{new string('r', 513)},\n", "line 2");
        Add($"an end-to-end id of 513 characters", header + $"2026-01-05,1.00,USD,a,,{new string('e', 513)}\n", "line 2");
        Add("the 30th of February", header + "2026-02-30,1.00,USD,a,,\n", "line 2");
        Add("a day-first date", header + "05/01/2026,1.00,USD,a,,\n", "line 2");
        Add("an empty date", header + ",1.00,USD,a,,\n", "line 2");
        Add("an amount with three fraction digits", header + "2026-01-05,1.001,USD,a,,\n", "line 2");
        Add("an amount past 64 bits", header + "2026-01-05,92233720368547758.08,USD,a,,\n", "line 2");
        Add("an amount with an exponent", header + "2026-01-05,1e3,USD,a,,\n", "line 2");
        Add("an amount that is a word", header + "2026-01-05,ten,USD,a,,\n", "line 2");
        Add("an amount of 100 digits", header + $"2026-01-05,{new string('1', 100)},USD,a,,\n", "line 2");
        Add("an unknown currency", header + "2026-01-05,1.00,USX,a,,\n", "line 2");
        Add("a line in EUR for a USD account", header + "2026-01-05,1.00,USD,a,,\n2026-01-06,1.00,EUR,b,,\n", "line 3");
        Add("a field short", header + "2026-01-05,1.00,USD,a,\n", "line 2");
        Add("a quote never closed", header + "2026-01-05,1.00,USD,\"a,,\n", "line 2");
        Add("a quote inside a field", header + "2026-01-05,1.00,USD,a\"b,,\n", "line 2");
        Add("an id repeated", header + "2026-01-05,1.00,USD,a,,\n2026-01-06,2.00,USD,a,,\n", "line 3");
        Add("no currency column", "Date,Amount\n2026-01-05,1.00\n", "line 1");
        Add("a column named twice", "Date,Amount,Currency,Amount\n2026-01-05,1.00,USD,2.00\n", "line 1");
        Add("a stripe net that is not amount less fee",
            "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\ntxn_1,charge,ch_1,100.00,3.20,96.00,usd,2026-01-05 10:15,2026-01-07 00:00,a\n", "line 2", Stripe);
    }

    private static string DeepCamt(int depth) =>
        "<Document><BkToCstmrStmt><Stmt>" + string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)) + "</Stmt></BkToCstmrStmt></Document>";

    private static void XmlStatements(List<BadInput> all)
    {
        const string c = "camt.053 statement";
        const string head = """<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>""";
        const string tail = "</Stmt></BkToCstmrStmt></Document>";
        static string Entry(string amount = "<Amt Ccy=\"USD\">1.00</Amt>", string indicator = "<CdtDbtInd>CRDT</CdtDbtInd>",
            string booked = "<BookgDt><Dt>2026-01-05</Dt></BookgDt>", string more = "") =>
            $"<Ntry>{amount}{indicator}{booked}{more}</Ntry>";
        void Add(string name, string xml, string? field = null) =>
            all.Add(new BadInput(c, name, Camt, "application/xml", Utf8(xml), 400, Problems + "malformed-statement", field));

        const string doctype = """<?xml version="1.0"?><!DOCTYPE Document [""";
        Add("a billion laughs", doctype + """<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><Document>&lol9;</Document>""", "line 1");
        Add("an external entity (XXE) reading /etc/passwd", doctype + """<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Document><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>""", "line 1");
        Add("an external DTD over HTTP", """<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd"><Document/>""", "line 1");
        Add("a parameter entity", doctype + """<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><Document/>""", "line 1");
        Add("an entity quadratic blowup", doctype + $"""<!ENTITY a "{new string('a', 10_000)}">]><Document>{string.Concat(Enumerable.Repeat("&a;", 1000))}</Document>""", "line 1");
        Add("nesting 65 deep", DeepCamt(65), "line 1");
        Add("nesting 100,000 deep (700 KB)", DeepCamt(100_000), "line 1");
        Add("nesting 500,000 deep (3.5 MB)", DeepCamt(500_000), "line 1");
        Add("an empty file", "", "line 1");
        Add("a statement without entries", head + tail, "file");
        Add("a statement of pending entries only", head + Entry(more: "<Sts>PDNG</Sts>") + tail, "file");
        Add("not a statement", "<Document><Other/></Document>", "Document");
        Add("a camt.052 report sent as camt053", "<Document><BkToCstmrAcctRpt/></Document>", "Document/BkToCstmrAcctRpt");
        Add("truncated", (head + Entry() + tail)[..120], "line 1");
        Add("a second document that is no statement", head + Entry() + tail + "<Document/>", "Document");
        Add("text after the document", head + Entry() + tail + "text", "line 1");
        Add("an entry without Amt", head + Entry(amount: "") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]");
        Add("an amount without Ccy", head + Entry(amount: "<Amt>1.00</Amt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt");
        Add("an unknown currency", head + Entry(amount: "<Amt Ccy=\"USX\">1.00</Amt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt");
        Add("three fraction digits", head + Entry(amount: "<Amt Ccy=\"USD\">1.005</Amt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt");
        Add("a negative amount", head + Entry(amount: "<Amt Ccy=\"USD\">-1.00</Amt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt");
        Add("an amount past 64 bits", head + Entry(amount: "<Amt Ccy=\"USD\">92233720368547758.08</Amt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt");
        Add("no CdtDbtInd", head + Entry(indicator: "") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]");
        Add("CdtDbtInd CRED", head + Entry(indicator: "<CdtDbtInd>CRED</CdtDbtInd>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/CdtDbtInd");
        Add("no booking date", head + Entry(booked: "") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]");
        Add("the 30th of February", head + Entry(booked: "<BookgDt><Dt>2026-02-30</Dt></BookgDt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt/Dt");
        Add("a value date that is a word", head + Entry(more: "<ValDt><DtTm>soon</DtTm></ValDt>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/ValDt/DtTm");
        Add("an AcctSvcrRef of 3,000 characters", head + Entry(more: $"<AcctSvcrRef>{new string('r', 3000)}</AcctSvcrRef>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]");
        Add("an end-to-end id of 513 characters",
            head + Entry(more: $"<NtryDtls><TxDtls><Refs><EndToEndId>{new string('e', 513)}</EndToEndId></Refs></TxDtls></NtryDtls>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]");
        Add("an AcctSvcrRef repeated", head + Entry(more: "<AcctSvcrRef>R1</AcctSvcrRef>") + Entry(more: "<AcctSvcrRef>R1</AcctSvcrRef>") + tail, "Document/BkToCstmrStmt/Stmt[1]/Ntry[2]");
        Add("a line in EUR for a USD account", head + Entry(amount: "<Amt Ccy=\"EUR\">1.00</Amt>") + tail, "line 1");
        Add("a NUL character reference &#0;", head + Entry(more: "<AddtlNtryInf>a&#0;b</AddtlNtryInf>") + tail, "line 1");
        Add("a lone surrogate reference &#xD800;", head + Entry(more: "<AddtlNtryInf>a&#xD800;b</AddtlNtryInf>") + tail, "line 1");
        Add("bytes that are not UTF-8", head + Entry(more: $"<AddtlNtryInf>a{NotUtf8}b</AddtlNtryInf>") + tail, "line 1");
        Add("a raw NUL byte", head + Entry(more: "<AddtlNtryInf>a\0b</AddtlNtryInf>") + tail, "line 1");
        Add("an undeclared entity", head + Entry(more: "<AddtlNtryInf>&nbsp;</AddtlNtryInf>") + tail, "line 1");
    }

    private static byte[] Multipart(string boundary, string fileName, string content) => Encoding.UTF8.GetBytes(
        $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n");

    private static void StatementTransport(List<BadInput> all)
    {
        const string c = "multipart statement";
        all.Add(new BadInput(c, "multipart without a boundary", Csv, "multipart/form-data",
            Multipart("b", "s.csv", "Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 400, Problems + "malformed-statement", "file"));
        all.Add(new BadInput(c, "multipart whose boundary never appears", Csv, "multipart/form-data; boundary=other",
            Multipart("b", "s.csv", "Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 400, Problems + "malformed-statement", "file"));
        all.Add(new BadInput(c, "multipart cut off in the middle", Csv, "multipart/form-data; boundary=b",
            Multipart("b", "s.csv", "Date,Amount,Currency\n2026-01-05,1.00,USD\n")[..60], 400, Problems + "malformed-statement", "file"));
        all.Add(new BadInput(c, "multipart with a field and no file", Csv, "multipart/form-data; boundary=b",
            Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n"), 400, Problems + "validation", "file"));
        all.Add(new BadInput(c, "multipart holding a header-only CSV", Csv, "multipart/form-data; boundary=b",
            Multipart("b", "s.csv", "Date,Amount,Currency\n"), 400, Problems + "malformed-statement", "file"));
        all.Add(new BadInput(c, "multipart holding a billion laughs", Camt, "multipart/form-data; boundary=b",
            Multipart("b", "s.xml", """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><d>&b;</d>"""), 400, Problems + "malformed-statement", "line 1"));

        const string h = "request target and headers";
        all.Add(new BadInput(h, "accounts with a query of 9,000 characters", Accounts + "?q=" + new string('q', 9000), Json,
            Encoding.UTF8.GetBytes("""{"account_id":"bi-new","currency":"USD"}"""), 414, Problems + "uri-too-long"));
        all.Add(new BadInput(h, "a statement with a query of 9,000 characters", Csv + "&x=" + new string('x', 9000), "text/csv",
            Encoding.UTF8.GetBytes("Date,Amount,Currency\n2026-01-05,1.00,USD\n"), 414, Problems + "uri-too-long"));
        all.Add(new BadInput(h, "transactions with a header of 40,000 bytes", Transactions, Json, Encoding.UTF8.GetBytes(Transfer()), 431, Problems + "headers-too-large")
        {
            Headers = [("X-Filler", new string('h', 40_000))],
        });
        all.Add(new BadInput(h, "accounts with 150 headers", Accounts, Json, Encoding.UTF8.GetBytes("""{"account_id":"bi-new","currency":"USD"}"""), 431, Problems + "headers-too-large")
        {
            Headers = [.. Enumerable.Range(0, 150).Select(i => ($"X-H{i}", "v"))],
        });
    }
}
