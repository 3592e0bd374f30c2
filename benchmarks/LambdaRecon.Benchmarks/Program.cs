using LambdaRecon.Benchmarks;

// Scale checks for the reconciliation core, outside the test suite (they take seconds and want Release):
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- match --count 1000000
//   dotnet run -c Release --project benchmarks/LambdaRecon.Benchmarks -- parse-csv --lines 1000000
var command = args.FirstOrDefault();
var size = Option(args, command == "parse-csv" ? "--lines" : "--count", 1_000_000);
switch (command)
{
    case "match":
        MatchBenchmark.Run(size, seed: Option(args, "--seed", 20250303));
        return 0;
    case "parse-csv":
        ParseBenchmark.Run(size);
        return 0;
    default:
        Console.Error.WriteLine("usage: match --count N [--seed S] | parse-csv --lines N");
        return 2;
}

static int Option(string[] args, string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) && value > 0 ? value : fallback;
}
