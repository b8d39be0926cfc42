// The one Catch2 main every test executable links (see cmake/Mck8s.cmake).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
