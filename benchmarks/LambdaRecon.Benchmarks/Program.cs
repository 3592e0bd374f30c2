using LambdaRecon.Benchmarks.Ledger;
using LambdaRecon.Benchmarks.Worker;

// Benchmarks are commands, not tests: ./bench.sh <name> [options] starts the services they need.
return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBenchmark.RunAsync(args[1..]),
    "worker" => await WorkerBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ./bench.sh ledger [--transfers N] [--accounts N] [--concurrency N] | worker [--batches N] [--accounts N]");
    return 2;
}
