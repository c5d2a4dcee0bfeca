// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Base} from "./Base.sol";
import {ProviderRegistry} from "../src/ProviderRegistry.sol";
import {TestStablecoin} from "../src/TestStablecoin.sol";

contract ProviderRegistryTest is Base {
    TestStablecoin internal token;
    ProviderRegistry internal registry;
    address internal constant P = address(0x9001);
    address internal constant REQUESTER = address(0xA11CE);

    function setUp() public {
        token = new TestStablecoin();
        registry = new ProviderRegistry(token, address(this), 3600, 10_000_000);
        token.mint(P, 50_000_000);
        vm.prank(P);
        token.approve(address(registry), type(uint256).max);
        vm.prank(P);
        registry.bond(20_000_000);
    }

    function bonded() internal view returns (uint96 b, uint96 u) {
        (b, u,) = registry.providers(P);
    }

    function test_BondingRegistersAndUnbondingWaitsTheDelay() public {
        assertTrue(registry.isBonded(P), "bonded above the minimum");
        vm.prank(P);
        registry.requestUnbond(15_000_000);
        assertTrue(!registry.isBonded(P), "5 left, below the 10 minimum");
        vm.prank(P);
        vm.expectRevert(abi.encodeWithSelector(ProviderRegistry.StillUnbonding.selector, uint64(block.timestamp + 3600)));
        registry.withdraw();
        vm.warp(block.timestamp + 3600);
        vm.prank(P);
        registry.withdraw();
        assertEq(token.balanceOf(P), 45_000_000, "30 never bonded + 15 unbonded");
    }

    function test_SlashingTakesTheBondThenWhatIsUnbonding() public {
        vm.prank(P);
        registry.requestUnbond(15_000_000);  // bonded 5, unbonding 15
        uint96 taken = registry.slash(P, 8_000_000, REQUESTER);
        assertEq(taken, 8_000_000, "all of it");
        (uint96 b, uint96 u) = bonded();
        assertEq(b, 0, "the bond first");
        assertEq(u, 12_000_000, "then the unbonding stake: leaving does not escape a slash");
        assertEq(token.balanceOf(REQUESTER), 8_000_000, "to whom the settlement said");
        taken = registry.slash(P, 100_000_000, REQUESTER);
        assertEq(taken, 12_000_000, "never more than there is");
    }

    function test_OnlyTheSettlementAddressSlashes() public {
        vm.prank(REQUESTER);
        vm.expectRevert(ProviderRegistry.NotSettlement.selector);
        registry.slash(P, 1, REQUESTER);
    }

    function testFuzz_BondsAreConserved(uint96 unbond, uint96 slashAmount) public {
        unbond = uint96(bound(unbond, 1, 20_000_000));
        vm.prank(P);
        registry.requestUnbond(unbond);
        uint96 taken = registry.slash(P, slashAmount, REQUESTER);
        (uint96 b, uint96 u) = bonded();
        assertEq(uint256(b) + u + taken, 20_000_000, "bond = left + slashed");
        assertEq(token.balanceOf(address(registry)), uint256(b) + u, "the registry holds what it owes");
    }
}
