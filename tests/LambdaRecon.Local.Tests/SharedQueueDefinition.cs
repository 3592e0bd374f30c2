namespace LambdaRecon.Local.Tests;

/// <summary>
/// The test classes whose functions publish to or poll ./test.sh's shared transactions.fifo (the queue the
/// functions read from QUEUE_URL once per process): run one at a time, so a poll in one test cannot post
/// another test's transaction while that test still expects it ACCEPTED.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedQueueDefinition
{
    public const string Name = "Shared transactions.fifo";
}
