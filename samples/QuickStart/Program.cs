System.Console.WriteLine("quick start: not yet implemented");
