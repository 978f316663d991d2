namespace YoloDistill.Distill.Tests;

/// <summary>
/// Tests that run verbs with Spectre.Console live displays (progress bars): Spectre allows one live display per
/// process at a time, so these run alone, after the parallel tests. Put any test that invokes such a verb here.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Spectre.Console live displays";
}
