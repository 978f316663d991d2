namespace YoloDistill.Tests;

/// <summary>
/// Tests (in either test assembly; each compiles this file) whose numbers depend on torch's global generator (a manual_seed, then modules initialised from it): they run
/// alone, after the parallel tests, because any test drawing from that generator at the same time changes their start.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "torch's global generator";
}
