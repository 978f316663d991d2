using System.Runtime.CompilerServices;
using YoloDistill.Detector.Common;

namespace YoloDistill.Tests;

/// <summary>Test processes get the same malloc settings as the CLI, so tests run as fast as the tool does.</summary>
static class TestProcessSetup
{
    [ModuleInitializer]
    internal static void Init() => MallocTuning.Apply();
}
