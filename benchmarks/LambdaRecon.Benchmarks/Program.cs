using LambdaRecon.Benchmarks.Ledger;

// Benchmarks are commands, not tests: ./bench.sh <name> [options] starts the services they need.
return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ./bench.sh ledger [--transfers N] [--accounts N] [--concurrency N]");
    return 2;
}
