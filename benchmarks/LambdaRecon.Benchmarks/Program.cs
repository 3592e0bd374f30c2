using LambdaRecon.Benchmarks;
using LambdaRecon.Benchmarks.Api;
using LambdaRecon.Benchmarks.EndToEnd;
using LambdaRecon.Benchmarks.Webhooks;
using LambdaRecon.Benchmarks.Ledger;
using LambdaRecon.Benchmarks.Worker;

// Benchmarks are commands, not tests. Those that need services run through ./bench.sh, which starts
// them; the reconciliation core's need none:
//   ./bench.sh ledger [--transfers N] [--accounts N] [--concurrency N] [--batch 1|10|100|1000]
//   ./bench.sh worker
//   ./bench.sh api [--clients 16] [--seconds 20] [--warmup 15]      (load from wrk, a separate process)
//   ./bench.sh e2e [--clients 16] [--seconds 10] [--concurrency 4]
//   ./bench.sh webhooks [--rate 200] [--seconds 20] [--connections 8]   (signed Stripe events from wrk, processed through the webhook queue)
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- match --count 1000000
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- parse-csv --lines 1000000
//   ./bench.sh parse-csv --lines 1000000 --import     (parse, then store through StatementStore)
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- parse-mt940 --lines 1000000
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- parse-camt053 --lines 1000000
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- observability --requests 100000
var command = args.FirstOrDefault();
var options = new Options(args);
switch (command)
{
    case "ledger":
        return await LedgerBenchmark.RunAsync(args[1..]);
    case "worker":
        return await WorkerBenchmark.RunAsync(args[1..]);
    case "api" or "e2e" when args.Contains("--requests"):
        // The load runs for a time since issue 14 (wrk, a separate process); a count would be silently ignored.
        Console.Error.WriteLine($"{command}: --requests is gone: the load from wrk runs for --seconds N");
        return 2;
    case "e2e":
        return await EndToEndBenchmark.RunAsync(args[1..]);
    case "api":
        return await ApiLoadBenchmark.RunAsync(args[1..]);
    case "webhooks":
        return await WebhookBenchmark.RunAsync(args[1..]);
    case "cold-start":
        return await LambdaRecon.Benchmarks.ColdStart.ColdStartBenchmark.RunAsync(args[1..]);
    case "match":
        return MatchBenchmark.Run(options.Number("count", 1_000_000), seed: options.Number("seed", 20250303));
    case "observability":
        return ObservabilityBenchmark.Run(options.Number("requests", 100_000));
    case "parse-csv":
        return ParseBenchmark.Run(options.Number("lines", 1_000_000), args.Contains("--import") ? Environment.GetEnvironmentVariable("DATABASE_URL") : null);
    case "parse-mt940":
        return Mt940ParseBenchmark.Run(options.Number("lines", 1_000_000), options.Number("lines-per-file", 40_000));
    case "parse-camt053":
        return CamtParseBenchmark.Run(options.Number("lines", 1_000_000));
    default:
        Console.Error.WriteLine("usage: ledger [--transfers N] [--accounts N] [--concurrency N] [--batch N] | worker | api [--clients N] [--seconds N] [--warmup N] | e2e [--clients N] [--seconds N] [--concurrency N] | webhooks [--rate N] [--seconds N] [--connections N] | cold-start [--runtime-api] [--publish DIR] | match --count N [--seed S] | parse-csv --lines N | parse-mt940 --lines N [--lines-per-file N] | parse-camt053 --lines N | observability [--requests N]");
        return 2;
}
